/**
 * `DistributedDataParallel`: keeps model replicas identical by averaging gradients
 * across a process group, bucket by bucket, starting while backward still runs.
 *
 * JavaScript cannot block inside `backward()`, so the step is:
 *
 *   const loss = lossFn(ddp.forward(X), y);
 *   optimizer.zeroGrad();
 *   loss.backward();                 // full buckets start reducing here
 *   await ddp.synchronizeGradients(); // the rest reduce; grads are the average
 *   optimizer.step();
 *
 * Each rank's gradient is scaled by its weight before the sum: `1 / worldSize` by
 * default (PyTorch's average), or the rank's share of the global batch when pieces
 * differ in size (`setGradientWeight`), which makes N ranks compute exactly the
 * single-process gradient of the whole batch.
 */
import { fromArray, noGrad, type Tensor } from '@loom/tensor';
import { TrainingError } from '../errors';
import type { TrainableModel } from '../job/job-spec';
import { assignBuckets, type GradientBucket } from './gradient-buckets';
import { callModel } from '../job/job-spec';
import type { ProcessGroup } from './process-group';

/** Options of {@link DistributedDataParallel.create}. */
export interface DdpOptions {
  /** Bucket size in MiB (PyTorch's `bucket_cap_mb`, default 25). */
  bucketCapMb?: number;
  /** First bucket's size in MiB (PyTorch: 1). */
  firstBucketCapMb?: number;
  /** Broadcast rank 0's parameters at creation (default true, as PyTorch). */
  broadcastParameters?: boolean;
}

/** Counters of gradient synchronisation, for metrics and the overlap measurement. */
export interface DdpStats {
  /** Buckets whose reduction started during backward (before `synchronizeGradients`). */
  bucketsStartedInBackward: number;
  buckets: number;
  /** Milliseconds spent waiting in `synchronizeGradients` in the last step. */
  lastWaitMs: number;
}

const MIB = 1024 * 1024;

/** Wraps a model for data-parallel training. See the module comment. */
export class DistributedDataParallel {
  private readonly buckets: GradientBucket[];
  private readonly bucketOf = new Map<Tensor, GradientBucket>();
  private readonly ready = new Map<GradientBucket, Set<Tensor>>();
  private readonly inFlight = new Map<GradientBucket, Promise<void>>();
  private weight: number;
  private syncing = false;
  readonly stats: DdpStats;

  private constructor(
    readonly module: TrainableModel,
    readonly processGroup: ProcessGroup,
    options: DdpOptions,
  ) {
    const params = [...module.parameters()].filter((p) => p.requiresGrad);
    this.buckets = assignBuckets(params, (options.bucketCapMb ?? 25) * MIB, (options.firstBucketCapMb ?? 1) * MIB);
    this.weight = 1 / processGroup.worldSize;
    this.stats = { bucketsStartedInBackward: 0, buckets: this.buckets.length, lastWaitMs: 0 };
    for (const bucket of this.buckets) {
      this.ready.set(bucket, new Set());
      for (const p of bucket.params) {
        this.bucketOf.set(p, bucket);
        p.registerPostAccumulateGradHook((param) => this.onGradReady(param));
      }
    }
  }

  /**
   * Wraps `module`, broadcasting rank 0's parameters so every replica starts equal.
   *
   * @example
   * ```ts
   * const ddp = await DistributedDataParallel.create(model, processGroup);
   * ```
   */
  static async create(module: TrainableModel, processGroup: ProcessGroup, options: DdpOptions = {}): Promise<DistributedDataParallel> {
    const ddp = new DistributedDataParallel(module, processGroup, options);
    if (options.broadcastParameters ?? true) await ddp.broadcastParameters();
    return ddp;
  }

  /** Runs the wrapped model (calling it, so its hooks run, when it is callable). */
  forward(...inputs: Tensor[]): Tensor {
    return callModel(this.module, inputs);
  }

  /** Sets this rank's weight in the gradient sum (default `1 / worldSize`). */
  setGradientWeight(weight: number): void {
    if (!Number.isFinite(weight) || weight < 0) throw new TrainingError(`setGradientWeight: weight must be a finite non-negative number, got ${weight}`);
    this.weight = weight;
  }

  /** Copies rank 0's parameters (and buffers' values are left to the caller) to every rank. */
  async broadcastParameters(): Promise<void> {
    for (const bucket of this.buckets) {
      bucket.params.forEach((p, i) => bucket.buffer.set(p.data() as Float32Array, bucket.offsets[i]));
      await this.processGroup.broadcast(bucket.buffer, 0);
      noGrad(() => bucket.params.forEach((p, i) => p.copy_(this.slice(bucket, i))));
    }
  }

  private slice(bucket: GradientBucket, i: number): Tensor {
    const p = bucket.params[i] as Tensor;
    const offset = bucket.offsets[i] as number;
    return fromArray(bucket.buffer.subarray(offset, offset + p.numel()), p.shape);
  }

  private onGradReady(param: Tensor): void {
    const bucket = this.bucketOf.get(param);
    if (!bucket) return;
    if (this.inFlight.has(bucket)) {
      throw new TrainingError(
        'DistributedDataParallel: a gradient changed after its bucket started reducing',
        'call synchronizeGradients() after every backward(); gradient accumulation across backwards is not supported yet',
      );
    }
    const ready = this.ready.get(bucket) as Set<Tensor>;
    ready.add(param);
    if (ready.size === bucket.params.length) {
      if (!this.syncing) this.stats.bucketsStartedInBackward++;
      this.launch(bucket);
    }
  }

  /** Packs a bucket's gradients (missing ones as zeros), scales them and starts the sum. */
  private launch(bucket: GradientBucket): void {
    const { buffer } = bucket;
    bucket.params.forEach((p, i) => {
      const offset = bucket.offsets[i] as number;
      if (p.grad) buffer.set(p.grad.data() as Float32Array, offset);
      else buffer.fill(0, offset, offset + p.numel());
    });
    const w = this.weight;
    if (w !== 1) for (let i = 0; i < buffer.length; i++) buffer[i] = (buffer[i] as number) * w;
    this.inFlight.set(bucket, this.processGroup.allReduce(buffer));
  }

  /**
   * Finishes the gradient sum of every bucket and writes the results into the
   * parameters' `.grad`. Parameters that got no gradient this step count as zeros.
   * `extra` (small per-step values such as the weighted loss) is summed alongside, unscaled.
   */
  async synchronizeGradients(extra?: Float32Array): Promise<void> {
    const started = performance.now();
    this.syncing = true;
    try {
      for (const bucket of this.buckets) if (!this.inFlight.has(bucket)) this.launch(bucket);
      const extraDone = extra ? this.processGroup.allReduce(extra) : Promise.resolve();
      // Buckets complete in launch order on every rank, so awaiting in order cannot deadlock.
      for (const bucket of this.buckets) await this.inFlight.get(bucket);
      await extraDone;
      noGrad(() => {
        for (const bucket of this.buckets) {
          bucket.params.forEach((p, i) => {
            const value = this.slice(bucket, i);
            if (p.grad && !p.grad.isDisposed) p.grad.copy_(value);
            else p.grad = value.keep();
          });
        }
      });
    } finally {
      this.inFlight.clear();
      for (const set of this.ready.values()) set.clear();
      this.syncing = false;
      this.stats.lastWaitMs = performance.now() - started;
    }
  }
}
