import { Tensor, fromArray, ready } from '@loom/tensor';
import { defaultCollate } from '../collate/default-collate';
import { decodeBatch } from './batch-codec';
import { stackIntoSlot } from './slot-writer';
import type { SlotRef } from './worker-protocol';

/** A slot at a non-zero offset of a larger buffer, as the ring hands them out. */
function slot(bytes: number): SlotRef {
  const offset = 64;
  return { index: 1, buffer: new SharedArrayBuffer(offset + bytes), byteOffset: offset, byteLength: bytes };
}

/** Tensors as { dtype, shape, values } so that toEqual compares them by value. */
function plain(value: unknown): unknown {
  if (value instanceof Tensor) return { dtype: value.dtype, shape: [...value.shape], values: Array.from(value.data()) };
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

function stacked(samples: unknown[], bytes = 1 << 16): unknown {
  const s = slot(bytes);
  const result = stackIntoSlot(samples, s);
  if (result === null || result.data === null) throw new Error('not stacked');
  return decodeBatch(result.data, { buffer: s.buffer, byteOffset: s.byteOffset, copy: false });
}

describe('stackIntoSlot', () => {
  beforeAll(() => ready());

  const image = (k: number): Tensor => fromArray(Float32Array.from({ length: 6 }, (_, i) => k * 10 + i), [1, 2, 3]);

  it.each<[string, () => unknown[]]>([
    ['[tensor, int label] (Fashion-MNIST samples)', () => [0, 1, 2].map((k) => [image(k), k * 3])],
    ['float numbers', () => [[0.5], [2], [-1.25]]],
    ['booleans and int32 tensors', () => [true, false].map((b, k) => ({ ok: b, ids: fromArray(Int32Array.of(k, k + 1), [2]) }))],
    ['typed arrays', () => [Float64Array.of(1.5, 2), Float64Array.of(3, 4.25)]],
    ['uint8 typed arrays become int32', () => [Uint8Array.of(1, 255), Uint8Array.of(7, 0)]],
    ['nested objects and tuples', () => [0, 1].map((k) => ({ x: [image(k), { w: k + 0.5 }], y: k }))],
  ])('equals defaultCollate for %s', (_, make) => {
    expect(plain(stacked(make()))).toEqual(plain(defaultCollate(make())));
  });

  it('leaves batches defaultCollate must judge to it (strings, ragged, mixed, out-of-range ints)', () => {
    expect(stackIntoSlot([['a', 1]], slot(64))).toBeNull();
    expect(stackIntoSlot([fromArray(new Float32Array(2), [2]), fromArray(new Float32Array(3), [3])], slot(64))).toBeNull();
    expect(stackIntoSlot([1, 'x'], slot(64))).toBeNull();
    expect(stackIntoSlot([1, 2 ** 40], slot(64))).toBeNull();
  });

  it('reports the bytes a batch needs when it does not fit, without writing', () => {
    const samples = [0, 1].map((k) => [image(k), k]);
    const result = stackIntoSlot(samples, slot(16));
    // 2 x 6 float32 = 48 bytes, 2 int32 labels = 8 bytes, each rounded to 8.
    expect(result).toEqual({ data: null, bytes: 56 });
    expect(stackIntoSlot(samples, null)).toEqual({ data: null, bytes: 56 });
  });

  it('writes at the slot offset only; the batch views the slot unless asked to copy it out', () => {
    const s = slot(256);
    const guard = new Uint8Array(s.buffer, 0, s.byteOffset);
    const result = stackIntoSlot([[image(1), 1]], s);
    expect(guard.every((b) => b === 0)).toBe(true);
    const views: Tensor[] = [];
    const [view] = decodeBatch(result!.data!, { buffer: s.buffer, byteOffset: s.byteOffset, copy: false }, views) as [Tensor, Tensor];
    const [copy] = decodeBatch(result!.data!, { buffer: s.buffer, byteOffset: s.byteOffset, copy: true }) as [Tensor, Tensor];
    expect(views).toHaveLength(2);
    new Float32Array(s.buffer, s.byteOffset, 6).fill(-1); // a worker reusing the slot too early
    expect(Array.from(view.data())).toEqual([-1, -1, -1, -1, -1, -1]); // why the ring waits (NOTE [Pinned batch slots])
    expect(Array.from(copy.data())).toEqual([10, 11, 12, 13, 14, 15]);
  });
});
