/** LambdaLR: the initial lr times a function of the epoch. */
import { ArgumentError } from '@loom/tensor';
import type { Optimizer } from '../optimizer';
import { LRScheduler, checkOptimizer } from './lr-scheduler';
import type { SchedulerStateDict, StateFields } from './scheduler-state';

/** A multiplicative factor as a function of the epoch. */
export type LrLambda = (epoch: number) => number;

/** Options of {@link LambdaLR}. */
export interface LambdaLROptions {
  /** One function for every group, or one per group. */
  lrLambda: LrLambda | LrLambda[];
  /** Index of the last epoch when resuming (default -1). */
  lastEpoch?: number;
}

/**
 * Sets each group's learning rate to its initial lr times `lrLambda(epoch)` (PyTorch's
 * `LambdaLR`).
 *
 * @example
 * ```ts
 * const scheduler = new LambdaLR(optimizer, { lrLambda: (epoch) => 0.95 ** epoch });
 * ```
 */
export class LambdaLR extends LRScheduler {
  lrLambdas: LrLambda[];

  constructor(optimizer: Optimizer, options: LambdaLROptions) {
    checkOptimizer(optimizer);
    const groups = optimizer.paramGroups.length;
    const { lrLambda } = options;
    if (Array.isArray(lrLambda) && lrLambda.length !== groups) {
      throw new ArgumentError(`Expected ${groups} lr_lambdas, but got ${lrLambda.length}`, 'give one function per parameter group, or a single function');
    }
    const lambdas = Array.isArray(lrLambda) ? [...lrLambda] : new Array<LrLambda>(groups).fill(lrLambda);
    lambdas.forEach((fn, i) => {
      if (typeof fn !== 'function') throw new ArgumentError(`LambdaLR: lrLambda[${i}] must be a function, got ${typeof fn}`);
    });
    super(optimizer, options.lastEpoch);
    this.lrLambdas = lambdas;
    this.initialStep();
  }

  protected override getLr(): number[] {
    return this.baseLrs.map((base, i) => base * (this.lrLambdas[i] as LrLambda)(this.lastEpoch));
  }

  protected override stateFields(): StateFields {
    return {};
  }

  /** As PyTorch's: functions are not saved, `lr_lambdas` holds one `null` per group. */
  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), lr_lambdas: this.lrLambdas.map(() => null) };
  }
}
