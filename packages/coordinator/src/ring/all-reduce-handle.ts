/**
 * An all-reduce whose buckets are launched one by one, as their gradients become
 * ready during backward (DDP's overlap of communication with computation).
 */
import type { Collective } from './collective';

/**
 * Handle of one all-reduce started with `RingAllReduce.startAllReduce`. Launch every
 * bucket exactly once (in any order, on any rank), then await `wait()`.
 *
 * @example
 * ```ts
 * const handle = ring.startAllReduce(buckets.map((b) => b.length), { weight: 0.5, step });
 * p.registerPostAccumulateGradHook(() => handle.reduceBucket(k, buckets[k]));
 * loss.backward();
 * await handle.wait();
 * ```
 */
export class AllReduceHandle {
  /** @internal */
  constructor(
    private readonly collective: Collective,
    private readonly weight: number,
    private readonly failure: Error | null,
  ) {}

  /** The collective's sequence number on the ring (the same on every rank). */
  get collectiveId(): number {
    return this.collective.id;
  }

  /**
   * Starts reducing bucket `id` in place; resolves when `data` holds the weighted sum
   * over all ranks. `data` must not be modified until then.
   */
  reduceBucket(id: number, data: Float32Array): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    try {
      this.collective.launch(id, data, this.weight);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.collective.bucketDone(id);
  }

  /** Resolves when every bucket is reduced (each must have been launched). */
  wait(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return this.collective.done();
  }
}
