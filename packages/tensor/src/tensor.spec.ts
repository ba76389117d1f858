import { ready, tensor, randn, noGrad, scope, steps, memoryStats, TensorDisposedError, AutogradError, ShapeError, linear, zeros } from './index';

beforeAll(async () => {
  await ready();
});

describe('Tensor basics', () => {
  test('creates, computes and reads values', () => {
    const x = tensor([[1, 2], [3, 4]]);
    expect(x.shape).toEqual([2, 2]);
    expect(x.dtype).toBe('float32');
    expect(x.add(1).toArray()).toEqual([[2, 3], [4, 5]]);
    expect(x.matmul(x).toArray()).toEqual([[7, 10], [15, 22]]);
    expect(x.sum().item()).toBe(10);
  });

  test('backward fills leaf gradients and accumulates until zeroed', () => {
    const w = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    w.mul(w).sum().backward();
    expect(w.grad!.toArray()).toEqual([[2, 4], [6, 8]]);
    w.mul(w).sum().backward();
    expect(w.grad!.toArray()).toEqual([[4, 8], [12, 16]]);
  });

  test('backward twice without retainGraph throws', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const loss = w.exp().sum();
    loss.backward(undefined, { retainGraph: true });
    loss.backward();
    expect(() => loss.backward()).toThrow(AutogradError);
    expect(w.grad!.data()[0]).toBeCloseTo(2 * Math.E, 5);
  });

  test('noGrad records nothing', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const y = noGrad(() => w.mul(2));
    expect(y.requiresGrad).toBe(false);
  });

  test('matmul names the shapes on mismatch', () => {
    expect(() => zeros([64, 784]).matmul(zeros([512, 10]))).toThrow('matmul: inner dimensions differ: a is [64,784], b is [512,10]');
    expect(() => zeros([64, 784]).matmul(zeros([512, 10]))).toThrow(ShapeError);
  });

  test('scope releases intermediates and keeps the result', () => {
    const x = randn([4, 4]);
    let inner: ReturnType<typeof x.add> | null = null;
    const out = scope(() => {
      inner = x.add(1);
      return inner.mul(2);
    });
    expect(out.isDisposed).toBe(false);
    expect(() => inner!.sum()).toThrow(TensorDisposedError);
  });

  test('step scopes keep a seed-style loop flat', () => {
    const w = randn([10, 5], { requiresGrad: true });
    const b = zeros([10], { requiresGrad: true });
    const x = randn([8, 5]);
    const batches = Array.from({ length: 200 }, () => 0);
    let baseline = 0;
    let i = 0;
    for (const _ of steps(batches)) {
      const loss = linear(x, w, b).relu().mean();
      w.grad?.dispose();
      b.grad?.dispose();
      w.grad = null;
      b.grad = null;
      loss.backward();
      if (i++ === 20) baseline = memoryStats().tfjsTensors;
    }
    expect(memoryStats().tfjsTensors).toBeLessThanOrEqual(baseline + 2);
  });
});
