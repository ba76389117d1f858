/**
 * Where values start in a pinned slot. Kept apart from batch-codec.ts (which builds
 * tensors) because host-only worker threads use it without loading `@loom/tensor`.
 *
 * @internal
 */

/** Each tensor starts at a multiple of 8 bytes in a slot (every dtype's alignment divides it). */
export const SLOT_ALIGN = 8;

/** Rounds a byte count up to {@link SLOT_ALIGN}. */
export function alignUp(bytes: number): number {
  return Math.ceil(bytes / SLOT_ALIGN) * SLOT_ALIGN;
}
