/**
 * Grouping gradients into buckets, as PyTorch's DDP does: the gradients, taken as one
 * virtual concatenation in the order given, are cut into a first bucket of
 * `firstBucketCapBytes` (reduction starts early) and then buckets of `bucketCapBytes`.
 * A bucket lying inside one buffer is reduced in place through a view; a bucket
 * spanning several buffers is packed into a staging buffer and unpacked afterwards.
 */

/** PyTorch DDP's `bucket_cap_mb` default (25 MiB). */
export const DEFAULT_BUCKET_CAP_BYTES = 25 * 1024 * 1024;
/** PyTorch DDP's `_DEFAULT_FIRST_BUCKET_BYTES` (1 MiB). */
export const DEFAULT_FIRST_BUCKET_CAP_BYTES = 1024 * 1024;
/** Bytes of one float32 element. */
export const FLOAT32_BYTES = 4;

/** A piece of one caller buffer that belongs to a bucket. */
export interface BucketPiece {
  buffer: Float32Array;
  /** Element range [start, end) within `buffer`. */
  start: number;
  end: number;
}

/** One bucket: its pieces and the flat array the ring reduces. */
export interface PlannedBucket {
  pieces: BucketPiece[];
  length: number;
}

/**
 * Cuts `buffers` into buckets of at most `firstCapElements` (the first) and
 * `capElements` (the others) elements. Zero-length buffers take no room.
 *
 * @example
 * ```ts
 * planBuckets([new Float32Array(5), new Float32Array(3)], 4, 4).map((b) => b.length); // [4, 4]
 * ```
 */
export function planBuckets(buffers: readonly Float32Array[], firstCapElements: number, capElements: number): PlannedBucket[] {
  const buckets: PlannedBucket[] = [];
  let current: PlannedBucket = { pieces: [], length: 0 };
  const cap = (): number => (buckets.length === 0 ? firstCapElements : capElements);
  for (const buffer of buffers) {
    let start = 0;
    while (start < buffer.length) {
      const take = Math.min(buffer.length - start, cap() - current.length);
      current.pieces.push({ buffer, start, end: start + take });
      current.length += take;
      start += take;
      if (current.length === cap()) {
        buckets.push(current);
        current = { pieces: [], length: 0 };
      }
    }
  }
  if (current.length > 0) buckets.push(current);
  return buckets;
}

/**
 * The array the ring reduces for a bucket: a view of the caller's buffer when the
 * bucket is one piece (no copy), else a packed copy of its pieces.
 *
 * @example
 * ```ts
 * const flat = bucketArray(bucket); // ... reduce flat ...; unpackBucket(bucket, flat);
 * ```
 */
export function bucketArray(bucket: PlannedBucket): Float32Array {
  const [only] = bucket.pieces;
  if (bucket.pieces.length === 1 && only) return only.buffer.subarray(only.start, only.end);
  const flat = new Float32Array(bucket.length);
  let offset = 0;
  for (const piece of bucket.pieces) {
    flat.set(piece.buffer.subarray(piece.start, piece.end), offset);
    offset += piece.end - piece.start;
  }
  return flat;
}

/** Copies a packed bucket's reduced values back into the caller's buffers (no-op for views). */
export function unpackBucket(bucket: PlannedBucket, flat: Float32Array): void {
  if (bucket.pieces.length === 1) return;
  let offset = 0;
  for (const piece of bucket.pieces) {
    const n = piece.end - piece.start;
    piece.buffer.set(flat.subarray(offset, offset + n), piece.start);
    offset += n;
  }
}
