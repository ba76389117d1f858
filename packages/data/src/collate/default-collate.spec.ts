import { Tensor, backendInfo, fromArray, ready, tensor } from '@loom/tensor';
import { CollateError } from '../errors';
import { HostImage } from '../vision/host-image';
import { defaultCollate } from './default-collate';

const img = (v: number): Tensor => fromArray(new Float32Array(4).fill(v), [1, 2, 2]);
const values = (t: unknown): number[] => Array.from((t as Tensor).hostView() ?? (t as Tensor).data());

describe('defaultCollate without a backend', () => {
  beforeAll(() => expect(backendInfo()).toBeNull());

  it('stacks host tensors into one new host tensor', () => {
    const X = defaultCollate([img(1), img(2), img(3)]) as Tensor;
    expect(X.shape).toEqual([3, 1, 2, 2]);
    expect(X.dtype).toBe('float32');
    expect(values(X)).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
  });

  it('collates (image, label) tuples position by position, labels to int32', () => {
    const [X, y] = defaultCollate([[img(0), 9], [img(1), 0]]) as [Tensor, Tensor];
    expect(X.shape).toEqual([2, 1, 2, 2]);
    expect(y.dtype).toBe('int32');
    expect(y.shape).toEqual([2]);
    expect(values(y)).toEqual([9, 0]);
  });

  it('maps numbers, booleans, strings and typed arrays as documented', () => {
    const out = defaultCollate([
      { w: 0.5, n: 1, ok: true, id: 'a', f: Float64Array.of(1.5, 2), u: Uint8Array.of(200, 1) },
      { w: 2, n: 2, ok: false, id: 'b', f: Float64Array.of(3, 4), u: Uint8Array.of(255, 0) },
    ]) as Record<string, unknown>;
    expect((out['w'] as Tensor).dtype).toBe('float32');
    expect(values(out['w'])).toEqual([0.5, 2]);
    expect((out['n'] as Tensor).dtype).toBe('int32');
    expect((out['ok'] as Tensor).dtype).toBe('bool');
    expect(values(out['ok'])).toEqual([1, 0]);
    expect(out['id']).toEqual(['a', 'b']);
    expect((out['f'] as Tensor).shape).toEqual([2, 2]);
    expect((out['f'] as Tensor).dtype).toBe('float32');
    expect(values(out['f'])).toEqual([1.5, 2, 3, 4]);
    expect((out['u'] as Tensor).dtype).toBe('int32');
    expect(values(out['u'])).toEqual([200, 1, 255, 0]);
  });

  it('collates nested structures', () => {
    const out = defaultCollate([{ a: [1, { b: 'x' }] }, { a: [2, { b: 'y' }] }]) as { a: [Tensor, { b: string[] }] };
    expect(values(out.a[0])).toEqual([1, 2]);
    expect(out.a[1].b).toEqual(['x', 'y']);
  });

  it('names the element, its type and what was expected', () => {
    const fail = (batch: unknown[]): CollateError => {
      try {
        defaultCollate(batch);
      } catch (e) {
        return e as CollateError;
      }
      throw new Error('expected a CollateError');
    };
    let e = fail([[img(0), 1], [img(1), 'cat']]);
    expect(e).toBeInstanceOf(CollateError);
    expect(e.path).toBe('batch[1][1]');
    expect(e.message).toContain('batch[1][1] is string cat but batch[0][1] is a number');
    e = fail([img(0), fromArray(new Float32Array(3), [1, 3])]);
    expect(e.message).toContain('stack expects each tensor to be equal size, but got [1, 2, 2] at batch[0] and [1, 3] at batch[1]');
    e = fail([[1, 2], [1]]);
    expect(e.message).toContain('each element in list of batch should be of equal size');
    e = fail([{ a: 1 }, { b: 1 }]);
    expect(e.message).toContain("batch[1] has no key 'a'");
    e = fail([null]);
    expect(e.message).toContain('found null at batch[0]');
    e = fail([new HostImage(new Uint8Array(4), 2, 2)]);
    expect(e.message).toContain('found a HostImage at batch[0]');
    expect(e.message).toContain('new ToTensor()');
    e = fail([3e9, 1]);
    expect(e.message).toContain("outside int32's range");
    e = fail([fromArray(Int32Array.of(1), [1]), img(0)]);
    expect(e.message).toContain('batch[1] is a float32 tensor but batch[0] is int32');
    expect(() => defaultCollate([])).toThrow('expected a non-empty array of samples');
  });

  it('makes a batch of 64 Fashion-MNIST-sized samples quickly', () => {
    const batch = Array.from({ length: 64 }, (_, i) => [fromArray(new Float32Array(784).fill(i / 64), [1, 28, 28]), i % 10]);
    const start = performance.now();
    const rounds = 200;
    for (let r = 0; r < rounds; r++) defaultCollate(batch);
    const perBatchMs = (performance.now() - start) / rounds;
    expect(perBatchMs).toBeLessThan(5); // measured ~0.05 ms
  });
});

describe('defaultCollate with tensors on a backend', () => {
  beforeAll(() => ready());

  it('stacks them with the stack op', async () => {
    const a = tensor([1, 2]).add(0);
    const b = tensor([3, 4]).add(0);
    expect(a.hostView()).toBeNull();
    const X = defaultCollate([a, b]) as Tensor;
    expect(X.shape).toEqual([2, 2]);
    expect(Array.from(X.data())).toEqual([1, 2, 3, 4]);
  });
});
