/**
 * A batch computed from a {@link HostPlan} in a worker thread (see NOTE [Host-only
 * workers] in host-plan.ts): each pixel byte through the plan's table, written with
 * the labels straight into the pinned slot, in the layout `stackIntoSlot` gives
 * `[ToTensor image, label]` samples. It loads nothing of `@loom/tensor`.
 *
 * @internal
 */
import { alignUp } from './slot-align';
import type { HostPlan, SlotRef } from './worker-protocol';
import type { EncodedBatch } from './worker-result';

/** Pixels converted per iteration of the inner loop (unrolled as ToTensor's: about 25% faster, measured there). */
const UNROLL = 4;

/** Whether every index is one the plan holds; a batch with another goes to the dataset, which reports it. */
function coversAll(plan: HostPlan, indices: readonly unknown[]): indices is number[] {
  const count = plan.subset?.length ?? plan.labels.length;
  return indices.every((i) => typeof i === 'number' && Number.isInteger(i) && i >= 0 && i < count);
}

/** `table[images[i·pixels + k]]` for each pixel k of image i, written at `out[offset + k]`. */
function writeImage(plan: HostPlan, i: number, out: Float32Array, offset: number): void {
  const { images, table, pixels } = plan;
  const src = i * pixels;
  let k = 0;
  for (; k + UNROLL <= pixels; k += UNROLL) {
    const o = offset + k;
    const s = src + k;
    out[o] = table[images[s]!]!;
    out[o + 1] = table[images[s + 1]!]!;
    out[o + 2] = table[images[s + 2]!]!;
    out[o + 3] = table[images[s + 3]!]!;
  }
  for (; k < pixels; k++) out[offset + k] = table[images[src + k]!]!;
}

/** Writes sample `indices[j]`'s image at row j of `x` and its label at `y[j]`. */
function fillBatch(plan: HostPlan, indices: readonly number[], x: Float32Array, y: Int32Array): void {
  const subset = plan.subset;
  for (let j = 0; j < indices.length; j++) {
    // A Subset checked its indices when it was made: each is an image of the dataset.
    const i = subset === null ? indices[j]! : subset[indices[j]!]!;
    writeImage(plan, i, x, j * plan.pixels);
    y[j] = plan.labels[i]!;
  }
}

/**
 * The batch of `indices` (images float32 [n, ...sampleShape], labels int32 [n]), in
 * `slot` when it fits, else in two new buffers moved to the main thread (as
 * defaultCollate's are). Null when the indices are not a non-empty list of indices
 * of the dataset: the dataset's own path then loads the batch (and raises its error).
 */
export function hostBatch(plan: HostPlan, indices: unknown, slot: SlotRef | null): EncodedBatch | null {
  if (!Array.isArray(indices) || indices.length === 0 || !coversAll(plan, indices)) return null;
  const n = indices.length;
  const numel = n * plan.pixels;
  const imageShape = [n, ...plan.sampleShape];
  const imageBytes = alignUp(numel * Float32Array.BYTES_PER_ELEMENT);
  const bytes = imageBytes + alignUp(n * Int32Array.BYTES_PER_ELEMENT);
  if (slot !== null && bytes <= slot.byteLength) {
    fillBatch(plan, indices, new Float32Array(slot.buffer, slot.byteOffset, numel), new Int32Array(slot.buffer, slot.byteOffset + imageBytes, n));
    const data = {
      t: 'array' as const,
      items: [
        { t: 'slot' as const, shape: imageShape, dtype: 'float32' as const, byteOffset: 0 },
        { t: 'slot' as const, shape: [n], dtype: 'int32' as const, byteOffset: imageBytes },
      ],
    };
    return { data, bytes, slotIndex: slot.index, allocated: false, transfer: [] };
  }
  const x = new Float32Array(numel);
  const y = new Int32Array(n);
  fillBatch(plan, indices, x, y);
  const data = {
    t: 'array' as const,
    items: [
      { t: 'tensor' as const, shape: imageShape, dtype: 'float32' as const, data: x },
      { t: 'tensor' as const, shape: [n], dtype: 'int32' as const, data: y },
    ],
  };
  return { data, bytes, slotIndex: null, allocated: true, transfer: [x.buffer, y.buffer] };
}
