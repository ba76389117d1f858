/**
 * Grouping parameters into gradient buckets, as PyTorch's DDP does: in reverse
 * registration order (gradients of the last layers are ready first during backward),
 * the first bucket capped at 1 MiB so that reduction starts early, the others at
 * 25 MiB.
 */
import type { Tensor } from '@loom/tensor';

/** PyTorch DDP's `bucket_cap_mb` default. */
export const DEFAULT_BUCKET_CAP_BYTES = 25 * 1024 * 1024;
/** PyTorch DDP's `_DEFAULT_FIRST_BUCKET_BYTES`. */
export const DEFAULT_FIRST_BUCKET_CAP_BYTES = 1024 * 1024;
const FLOAT32_BYTES = 4;

/** One bucket: parameters reduced together through one flat buffer. */
export interface GradientBucket {
  index: number;
  params: Tensor[];
  /** Offset of each parameter in `buffer`. */
  offsets: number[];
  buffer: Float32Array;
}

/** Assigns parameters (in registration order) to buckets. */
export function assignBuckets(params: readonly Tensor[], capBytes = DEFAULT_BUCKET_CAP_BYTES, firstCapBytes = DEFAULT_FIRST_BUCKET_CAP_BYTES): GradientBucket[] {
  const buckets: GradientBucket[] = [];
  let current: Tensor[] = [];
  let bytes = 0;
  const flush = (): void => {
    if (current.length === 0) return;
    const offsets: number[] = [];
    let n = 0;
    for (const p of current) {
      offsets.push(n);
      n += p.numel();
    }
    buckets.push({ index: buckets.length, params: current, offsets, buffer: new Float32Array(n) });
    current = [];
    bytes = 0;
  };
  // As PyTorch's compute_bucket_assignment_by_size: a bucket closes once it reaches its cap.
  for (const p of [...params].reverse()) {
    current.push(p);
    bytes += p.numel() * FLOAT32_BYTES;
    if (bytes >= (buckets.length === 0 ? firstCapBytes : capBytes)) flush();
  }
  flush();
  return buckets;
}
