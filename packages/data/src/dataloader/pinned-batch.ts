/**
 * Batches in pinned slots, on the main thread's side (see NOTE [Pinned batch slots] in
 * pinned-ring.ts): the ring made when the first batch tells its size, and the batch
 * tensors that view a slot.
 *
 * @internal
 */
import { backendInfo, type Tensor } from '@loom/tensor';
import { decodeBatch, type EncodedValue } from './batch-codec';
import type { DataLoaderStats } from './loader-view';
import { PinnedRing } from './pinned-ring';

/** What owns a ring (a worker pool: the ring lives as long as its threads). */
export interface RingHolder {
  ring: PinnedRing | null;
}

/** Makes the holder's ring, sized by a first batch of `batchBytes`, if it has none. */
export function ensureRing(holder: RingHolder, slots: number, batchBytes: number, stats: DataLoaderStats): PinnedRing {
  holder.ring ??= new PinnedRing(slots, batchBytes, () => void stats.pinnedBuffersAllocated++);
  return holder.ring;
}

/**
 * The batch in slot `index`: tensors viewing the slot, which is lent to them until
 * they are released or uploaded. On the cpu backend, whose kernels read the arrays
 * they are given, the tensors are copies and the slot is free at once.
 */
export function decodeSlot(ring: PinnedRing, index: number, data: EncodedValue, stats: DataLoaderStats): unknown {
  stats.pinnedBatches++;
  const copy = backendInfo()?.name === 'cpu';
  const views: Tensor[] = [];
  const value = decodeBatch(data, { buffer: ring.buffer(index), byteOffset: 0, copy }, views);
  ring.lend(index, views);
  return value;
}
