/**
 * `DistributedDataParallel`: keeps model replicas identical by averaging gradients
 * across a process group, bucket by bucket, starting while backward still runs.
 *
 * JavaScript cannot block inside `backward()`, so the step is:
 *
 *   const loss = lossFn(ddp.forward(X), y);
 *   optimizer.zeroGrad();
 *   loss.backward();                 // full buckets are launched here
 *   await ddp.flush();               // optional: launched buckets leave now
 *   await ddp.synchronizeGradients(); // the rest reduce; grads are the average
 *   optimizer.step();
 *
 * Each rank's gradient is scaled by its weight before the sum: `1 / worldSize` by
 * default (PyTorch's average), or the rank's share of the global batch when pieces
 * differ in size (`setGradientWeight`, called before `backward()`, since buckets
 * start reducing during backward), which makes N ranks compute exactly the
 * single-process gradient of the whole batch.
 *
 * With a process group that has `startAllReduce` (the ring), a step is one collective
 * whose buckets are launched as their last gradient arrives; otherwise each bucket is
 * its own `allReduce`.
 *
 * Overlap, honestly: a bucket launched during backward is packed, scaled and handed to
 * gRPC at once, but Node writes it to the socket (and reads the neighbour's) only when
 * the event loop runs again, i.e. after `backward()` returns. On one thread the
 * communication therefore overlaps nothing of backward; `stats.lastOverlapWindowMs`
 * is the window a transport on another thread could fill, `stats.lastWaitMs` what the
 * step waited for (tools/bench/quickstart-epoch.js).
 */
import { fromArray, noGrad, type Tensor } from '@loom/tensor';
import { TrainingError } from '../errors';
import type { TrainableModel } from '../job/job-spec';
import { assignBuckets, type GradientBucket } from './gradient-buckets';
import { callModel } from '../job/job-spec';
import type { BucketedAllReduce, ProcessGroup } from './process-group';

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
  /** Buckets whose reduction started during backward (before `synchronizeGradients`), over all steps. */
  bucketsStartedInBackward: number;
  buckets: number;
  /** Milliseconds spent waiting in `synchronizeGradients` in the last step: communication not hidden. */
  lastWaitMs: number;
  /**
   * Milliseconds from the first bucket's launch to the call of `synchronizeGradients`
   * in the last step: the window in which communication could overlap backward.
   */
  lastOverlapWindowMs: number;
  /** Milliseconds of the last step spent packing gradients into buckets and unpacking the sums. */
  lastCopyMs: number;
  /** Steps synchronised so far. */
  steps: number;
}

const MIB = 1024 * 1024;

/** Wraps a model for data-parallel training. See the module comment. */
export class DistributedDataParallel {
  private readonly buckets: GradientBucket[];
  private readonly bucketOf = new Map<Tensor, GradientBucket>();
  private readonly ready = new Map<GradientBucket, Set<Tensor>>();
  private readonly inFlight = new Map<GradientBucket, Promise<void>>();
  /** The step's collective, started at the first bucket launch (ring process groups). */
  private collective: BucketedAllReduce | null = null;
  private firstLaunchAt = 0;
  private copyMs = 0;
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
    this.stats = { bucketsStartedInBackward: 0, buckets: this.buckets.length, lastWaitMs: 0, lastOverlapWindowMs: 0, lastCopyMs: 0, steps: 0 };
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

  /**
   * Sets this rank's weight in the gradient sum (default `1 / worldSize`). Call it
   * before `backward()`: buckets are scaled when they start reducing, during backward.
   */
  setGradientWeight(weight: number): void {
    if (!Number.isFinite(weight) || weight < 0) throw new TrainingError(`setGradientWeight: weight must be a finite non-negative number, got ${weight}`);
    if (this.inFlight.size > 0 && weight !== this.weight) {
      throw new TrainingError(
        `setGradientWeight(${weight}): ${this.inFlight.size} bucket(s) already started reducing with weight ${this.weight} during backward`,
        'call setGradientWeight() before loss.backward()',
      );
    }
    this.weight = weight;
  }

  /** Copies rank 0's parameters (and buffers' values are left to the caller) to every rank. */
  async broadcastParameters(): Promise<void> {
    for (const bucket of this.buckets) {
      bucket.params.forEach((p, i) => bucket.buffer.set(p.data() as Float32Array, bucket.offsets[i]));
      await this.processGroup.broadcast(bucket.buffer, 0);
      noGrad(() => bucket.params.forEach((p, i) => p.copy_(this.view(bucket, i))));
    }
  }

  /**
   * Parameter `i`'s slice of the bucket buffer as a tensor: adopting the slice (for
   * `copy_`, which copies host values once) or holding its own copy.
   */
  private view(bucket: GradientBucket, i: number, copy = false): Tensor {
    const p = bucket.params[i] as Tensor;
    const offset = bucket.offsets[i] as number;
    return fromArray(bucket.buffer.subarray(offset, offset + p.numel()), p.shape, { copy });
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

  /** Packs a bucket's gradients scaled by the weight (missing ones as zeros) and starts its sum. */
  private launch(bucket: GradientBucket): void {
    const started = performance.now();
    const { buffer } = bucket;
    const w = this.weight;
    bucket.params.forEach((p, i) => {
      const offset = bucket.offsets[i] as number;
      if (!p.grad) return void buffer.fill(0, offset, offset + p.numel());
      if (w === 1) return void p.grad.copyInto(buffer, offset);
      // Scaled by the backend's SIMD kernel, then copied straight into the bucket: a
      // JavaScript loop over the copy ran ~1 ns per element (0.65 ms for the seed MLP),
      // and data() allocated a fresh array per parameter and step.
      const scaled = noGrad(() => (p.grad as Tensor).mul(w));
      scaled.copyInto(buffer, offset);
      scaled.dispose();
    });
    this.copyMs += performance.now() - started;
    if (this.inFlight.size === 0) this.firstLaunchAt = performance.now();
    const pg = this.processGroup;
    if (pg.startAllReduce) {
      // Every rank starts the step's collective at its first launch, before any other
      // collective of the step, so the ring's collective order matches on all ranks.
      this.collective ??= pg.startAllReduce(this.buckets.map((b) => b.buffer.length));
      this.inFlight.set(bucket, handledLater(this.collective.reduceBucket(bucket.index, buffer)));
    } else {
      this.inFlight.set(bucket, handledLater(pg.allReduce(buffer)));
    }
  }

  /**
   * Lets the buckets launched during backward leave now. Node writes to sockets only
   * when the event loop turns, so without it they wait for whatever the step does
   * next on the CPU (the non-finite check, 0.7 ms on the seed MLP) before their
   * neighbour can start on them. Call it right after `backward()`; optional.
   */
  async flush(): Promise<void> {
    if (this.inFlight.size > 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /**
   * Finishes the gradient sum of every bucket and writes the results into the
   * parameters' `.grad`. Parameters that got no gradient this step count as zeros.
   * `extra` (small per-step values such as the weighted loss) is summed alongside, unscaled.
   */
  async synchronizeGradients(extra?: Float32Array): Promise<void> {
    const started = performance.now();
    this.syncing = true;
    this.stats.lastOverlapWindowMs = this.inFlight.size > 0 ? started - this.firstLaunchAt : 0;
    try {
      for (const bucket of this.buckets) if (!this.inFlight.has(bucket)) this.launch(bucket);
      const extraDone = handledLater(extra ? this.processGroup.allReduce(extra) : Promise.resolve());
      // Buckets complete in launch order on every rank, so awaiting in order cannot deadlock.
      for (const bucket of this.buckets) await this.inFlight.get(bucket);
      await extraDone;
      const unpacking = performance.now();
      noGrad(() => {
        for (const bucket of this.buckets) {
          bucket.params.forEach((p, i) => {
            if (p.grad && !p.grad.isDisposed) p.grad.copy_(this.view(bucket, i));
            else p.grad = this.view(bucket, i, true).keep();
          });
        }
      });
      this.copyMs += performance.now() - unpacking;
    } finally {
      this.inFlight.clear();
      this.collective = null;
      for (const set of this.ready.values()) set.clear();
      this.syncing = false;
      this.stats.lastWaitMs = performance.now() - started;
      this.stats.lastCopyMs = this.copyMs;
      this.copyMs = 0;
      this.stats.steps++;
    }
  }
}

/**
 * Returns `promise` after marking its rejection handled. A group that already failed
 * (a ring re-forming after a membership change) refuses a bucket at launch, during
 * backward; the rejection is awaited only in `synchronizeGradients`, and only the first
 * one there, so without this Node would end the process on an unhandled rejection.
 */
function handledLater(promise: Promise<void>): Promise<void> {
  promise.catch(() => undefined);
  return promise;
}
