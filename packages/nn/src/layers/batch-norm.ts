/**
 * `BatchNorm1d` and `BatchNorm2d` (PyTorch's `_BatchNorm`): per-channel batch
 * statistics in training, running statistics in evaluation. The buffers keep
 * PyTorch's state-dict names (`running_mean`, `running_var`, `num_batches_tracked`)
 * so checkpoints move between the two; `runningMean`, `runningVar` and
 * `numBatchesTracked` read them.
 */
import { ShapeError, Tensor, noGrad, ones, zeros } from '@loom/tensor';
import { Module } from '../module/module';
import { Parameter } from '../module/parameter';
import { pyBool, pyFloat } from '../module/repr';
import { checkFinite, checkInt } from '../functional/args';
import { BATCH_NORM_MOMENTUM, NORM_EPS, batchNorm } from '../functional/normalization';

/** Options of the BatchNorm layers (PyTorch's defaults). */
export interface BatchNormLayerOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Weight of each batch in the running statistics (default 0.1); `null` for a cumulative average. */
  momentum?: number | null;
  /** Learn a per-channel scale and shift (default true). */
  affine?: boolean;
  /** Keep running statistics for evaluation (default true). */
  trackRunningStats?: boolean;
}

abstract class BatchNormNd extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  declare weight: Parameter | null;
  declare bias: Parameter | null;

  protected constructor(numFeatures: number, options: BatchNormLayerOptions) {
    super();
    const layer = this.constructor.name;
    this.numFeatures = checkInt(numFeatures, layer, 'numFeatures');
    this.eps = checkFinite(options.eps ?? NORM_EPS, layer, 'eps');
    const momentum = options.momentum === undefined ? BATCH_NORM_MOMENTUM : options.momentum;
    this.momentum = momentum === null ? null : checkFinite(momentum, layer, 'momentum');
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
    this.registerParameter('weight', this.affine ? new Parameter(ones([numFeatures])) : null);
    this.registerParameter('bias', this.affine ? new Parameter(zeros([numFeatures])) : null);
    const track = this.trackRunningStats;
    this.registerBuffer('running_mean', track ? zeros([numFeatures]) : null);
    this.registerBuffer('running_var', track ? ones([numFeatures]) : null);
    this.registerBuffer('num_batches_tracked', track ? zeros([], { dtype: 'int32' }) : null);
  }

  /** The running mean per channel (state-dict key `running_mean`), null without tracking. */
  get runningMean(): Tensor | null {
    return this.getBuffer('running_mean');
  }

  /** The running (unbiased) variance per channel (`running_var`). */
  get runningVar(): Tensor | null {
    return this.getBuffer('running_var');
  }

  /** Training batches seen, an int32 scalar (`num_batches_tracked`). */
  get numBatchesTracked(): Tensor | null {
    return this.getBuffer('num_batches_tracked');
  }

  private getBuffer(name: string): Tensor | null {
    return (this as unknown as Record<string, Tensor | null>)[name] ?? null;
  }

  /** Resets the running statistics to mean 0, variance 1, no batches. @example `bn.resetRunningStats()` */
  resetRunningStats(): void {
    noGrad(() => {
      this.runningMean?.zero_();
      this.runningVar?.fill_(1);
      this.numBatchesTracked?.zero_();
    });
  }

  /** PyTorch's `reset_parameters`: running statistics, then weight 1 and bias 0. @example `bn.resetParameters()` */
  resetParameters(): void {
    this.resetRunningStats();
    noGrad(() => {
      this.weight?.fill_(1);
      this.bias?.zero_();
    });
  }

  protected abstract checkInputDim(input: Tensor): void;

  override forward(input: Tensor): Tensor {
    this.checkInputDim(input);
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats && this.numBatchesTracked !== null) {
      const tracked = this.numBatchesTracked;
      noGrad(() => tracked.add_(1));
      // momentum null: the cumulative moving average 1/n (PyTorch's _BatchNorm.forward).
      if (this.momentum === null) factor = 1 / tracked.item();
    }
    const useBatchStats = this.training || (this.runningMean === null && this.runningVar === null);
    // Buffers are only updated when tracking; in eval they are always used when present.
    const passStats = !this.training || this.trackRunningStats;
    return batchNorm(input, passStats ? this.runningMean : null, passStats ? this.runningVar : null, {
      weight: this.weight,
      bias: this.bias,
      training: useBatchStats,
      momentum: factor,
      eps: this.eps,
    });
  }

  /** State dicts from before `num_batches_tracked` existed load with 0, as PyTorch's version < 2 path. */
  override upgradeStateDict(stateDict: Map<string, Tensor>, prefix: string): void {
    const key = `${prefix}num_batches_tracked`;
    if (this.trackRunningStats && !stateDict.has(key) && stateDict.has(`${prefix}running_mean`)) {
      stateDict.set(key, zeros([], { dtype: 'int32' }));
    }
  }

  override extraRepr(): string {
    return (
      `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${this.momentum === null ? 'None' : pyFloat(this.momentum)}, ` +
      `affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`
    );
  }
}

/**
 * Batch normalisation of `[N, C]` or `[N, C, L]` (PyTorch's `nn.BatchNorm1d`).
 *
 * @example
 * ```ts
 * const bn = new BatchNorm1d(64);
 * bn(x); bn.eval(); bn(x); // running statistics
 * ```
 */
export class BatchNorm1d extends BatchNormNd {
  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super(numFeatures, options);
  }

  protected checkInputDim(input: Tensor): void {
    if (input.ndim !== 2 && input.ndim !== 3) throw new ShapeError(`BatchNorm1d: expected 2D or 3D input (got ${input.ndim}D input [${input.shape.join(',')}])`);
  }
}

/**
 * Batch normalisation of `[N, C, H, W]` (PyTorch's `nn.BatchNorm2d`).
 *
 * @example
 * ```ts
 * new BatchNorm2d(32)(features);
 * ```
 */
export class BatchNorm2d extends BatchNormNd {
  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super(numFeatures, options);
  }

  protected checkInputDim(input: Tensor): void {
    if (input.ndim !== 4) throw new ShapeError(`BatchNorm2d: expected 4D input (got ${input.ndim}D input [${input.shape.join(',')}])`);
  }
}

