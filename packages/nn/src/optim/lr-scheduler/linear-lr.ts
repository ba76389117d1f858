/** LinearLR: a linearly changing factor on the initial lr (warm-up or decay). */
import { ArgumentError } from '@loom/tensor';
import type { Optimizer } from '../optimizer';
import { LRScheduler } from './lr-scheduler';
import type { StateFields } from './scheduler-state';

/** Options of {@link LinearLR}; defaults as PyTorch's. */
export interface LinearLROptions {
  /** Factor at epoch 0, in [0, 1] (default 1/3). */
  startFactor?: number;
  /** Factor from `totalIters` on, in [0, 1] (default 1). */
  endFactor?: number;
  /** Epochs to go from the start factor to the end factor (default 5). */
  totalIters?: number;
  /** Index of the last epoch when resuming (default -1). */
  lastEpoch?: number;
}

/**
 * Multiplies the initial lr by a factor that moves linearly from `startFactor` to
 * `endFactor` over `totalIters` epochs (PyTorch's `LinearLR`), computed recursively
 * from the previous lr as PyTorch does:
 *
 * ```text
 * lr_0 = lr · start
 * lr_t = lr_{t-1} · (1 + (end - start) / (T · start + (t - 1)(end - start)))   for 0 < t ≤ T
 * ```
 *
 * @example
 * ```ts
 * // warm-up: 0.025, 0.03125, 0.0375, 0.04375, then 0.05
 * const scheduler = new LinearLR(optimizer, { startFactor: 0.5, totalIters: 4 });
 * ```
 */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;

  constructor(optimizer: Optimizer, options: LinearLROptions = {}) {
    const { startFactor = 1 / 3, endFactor = 1, totalIters = 5 } = options;
    if (!(startFactor >= 0 && startFactor <= 1)) throw new ArgumentError('Starting multiplicative factor expected to be between 0 and 1.', `got startFactor = ${startFactor}`);
    if (!(endFactor >= 0 && endFactor <= 1)) throw new ArgumentError('Ending multiplicative factor expected to be between 0 and 1.', `got endFactor = ${endFactor}`);
    if (!Number.isInteger(totalIters) || totalIters <= 0) throw new ArgumentError(`LinearLR: totalIters must be a positive integer, got ${totalIters}`);
    super(optimizer, options.lastEpoch);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    this.initialStep();
  }

  protected override getLr(): number[] {
    const { lastEpoch: t, startFactor: start, endFactor: end, totalIters } = this;
    if (t === 0) return this.groups.map((g) => g.lr * start);
    if (t > totalIters) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * (1 + (end - start) / (totalIters * start + (t - 1) * (end - start))));
  }

  protected override stateFields(): StateFields {
    return { start_factor: 'startFactor', end_factor: 'endFactor', total_iters: 'totalIters' };
  }
}
