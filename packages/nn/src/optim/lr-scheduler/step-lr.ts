/** StepLR: decay by gamma every `stepSize` epochs. */
import { ArgumentError } from '@loom/tensor';
import type { Optimizer } from '../optimizer';
import { LRScheduler } from './lr-scheduler';
import type { StateFields } from './scheduler-state';

/** Options of {@link StepLR}. */
export interface StepLROptions {
  /** Period of the decay, in epochs. */
  stepSize: number;
  /** Multiplicative factor of the decay (default 0.1). */
  gamma?: number;
  /** Index of the last epoch when resuming (default -1). */
  lastEpoch?: number;
}

/**
 * Multiplies each group's learning rate by `gamma` every `stepSize` epochs (PyTorch's
 * `StepLR`): lr = base · gamma^⌊epoch / stepSize⌋ when nothing else changes it.
 *
 * @example
 * ```ts
 * // lr = 0.05 for epochs 0..29, 0.005 for 30..59, ...
 * const scheduler = new StepLR(optimizer, { stepSize: 30, gamma: 0.1 });
 * ```
 */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  constructor(optimizer: Optimizer, options: StepLROptions) {
    if (!Number.isInteger(options.stepSize) || options.stepSize <= 0) {
      throw new ArgumentError(`StepLR: stepSize must be a positive integer, got ${options.stepSize}`);
    }
    super(optimizer, options.lastEpoch);
    this.stepSize = options.stepSize;
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }

  protected override getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected override stateFields(): StateFields {
    return { step_size: 'stepSize', gamma: 'gamma' };
  }
}
