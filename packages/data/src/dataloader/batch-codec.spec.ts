import { Tensor, fromArray, ready } from '@loom/tensor';
import { hostTensor } from '../internal/host-tensor';
import { BatchEncoder, decodeBatch, slotBytesOf } from './batch-codec';

describe('BatchEncoder / decodeBatch', () => {
  beforeAll(() => ready());

  const batch = (): unknown => ({
    x: fromArray(Float32Array.of(1, 2, 3, 4), [2, 2]),
    y: [fromArray(Int32Array.of(7, 8), [2]), 'label'],
    meta: { n: 2, names: ['a', 'b'] },
  });

  function roundTrip(value: unknown, encoder: BatchEncoder, slot: SharedArrayBuffer | null = null): Record<string, unknown> {
    const encoded = structuredClone(encoder.encode(value), { transfer: encoder.transferList });
    return decodeBatch(encoded, slot === null ? null : { buffer: slot, byteOffset: 0, copy: false }) as Record<string, unknown>;
  }

  it('rebuilds tensors, arrays, objects and raw values', () => {
    const out = roundTrip(batch(), new BatchEncoder(false, null));
    expect((out['x'] as Tensor).toArray()).toEqual([[1, 2], [3, 4]]);
    const [ids, label] = out['y'] as [Tensor, string];
    expect(ids.dtype).toBe('int32');
    expect(ids.toArray()).toEqual([7, 8]);
    expect(label).toBe('label');
    expect(out['meta']).toEqual({ n: 2, names: ['a', 'b'] });
  });

  it('moves fresh collate outputs and copies anything that may be dataset memory', () => {
    const owned = fromArray(Float32Array.of(1, 2), [2]);
    const fresh = new BatchEncoder(true, null);
    fresh.encode(owned);
    expect(fresh.transferList).toEqual([owned.hostView()!.buffer]);
    // Not known to be fresh (a custom collate, raw samples): copied, the dataset keeps its array.
    const copying = new BatchEncoder(false, null);
    copying.encode(owned);
    expect(copying.transferList[0]).not.toBe(owned.hostView()!.buffer);
    // Dataset memory in a SharedArrayBuffer is never moved, even from defaultCollate.
    const shared = hostTensor(new Float32Array(new SharedArrayBuffer(16)), [4], 'float32');
    const sharedEncoder = new BatchEncoder(true, null);
    sharedEncoder.encode(shared);
    expect(sharedEncoder.transferList[0]).not.toBe(shared.hostView()!.buffer);
    expect(Object.prototype.toString.call(sharedEncoder.transferList[0])).toBe('[object ArrayBuffer]');
  });

  it('writes tensors into a slot at aligned offsets', () => {
    const bytes = slotBytesOf(batch());
    expect(bytes).toBe(16 + 8); // 4 float32, then 2 int32
    const slot = new SharedArrayBuffer(bytes);
    const out = roundTrip(batch(), new BatchEncoder(false, { index: 0, buffer: slot, byteOffset: 0, byteLength: bytes }), slot);
    expect((out['x'] as Tensor).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(((out['y'] as unknown[])[0] as Tensor).toArray()).toEqual([7, 8]);
  });

  it('refuses values that cannot be sent between threads, naming them', () => {
    expect(() => new BatchEncoder(false, null).encode([() => 1])).toThrow(/holds a function/);
    expect(() => new BatchEncoder(false, null).encode({ w: new WeakMap() })).toThrow(/cannot be sent to the main thread/);
  });

  it('says a batch without tensors takes no slot', () => {
    expect(slotBytesOf(['a', 1])).toBe(-1);
  });
});
