/** ExponentialLR: decay by gamma every epoch. */
import type { Optimizer } from '../optimizer';
import { LRScheduler } from './lr-scheduler';
import type { StateFields } from './scheduler-state';

/** Options of {@link ExponentialLR}. */
export interface ExponentialLROptions {
  /** Multiplicative factor per epoch. */
  gamma: number;
  /** Index of the last epoch when resuming (default -1). */
  lastEpoch?: number;
}

/**
 * Multiplies each group's learning rate by `gamma` every epoch (PyTorch's
 * `ExponentialLR`): lr = base · gamma^epoch when nothing else changes it.
 *
 * @example
 * ```ts
 * const scheduler = new ExponentialLR(optimizer, { gamma: 0.95 });
 * ```
 */
export class ExponentialLR extends LRScheduler {
  gamma: number;

  constructor(optimizer: Optimizer, options: ExponentialLROptions) {
    super(optimizer, options.lastEpoch);
    this.gamma = options.gamma;
    this.initialStep();
  }

  protected override getLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected override stateFields(): StateFields {
    return { gamma: 'gamma' };
  }
}
