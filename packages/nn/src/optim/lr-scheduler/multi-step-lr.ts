/** MultiStepLR: decay by gamma at chosen epochs. */
import { OptimizerStateError } from '../errors';
import type { Optimizer } from '../optimizer';
import { LRScheduler } from './lr-scheduler';
import type { SchedulerStateDict, StateFields } from './scheduler-state';

/** Options of {@link MultiStepLR}. */
export interface MultiStepLROptions {
  /** Epochs at which to decay; a milestone listed twice decays twice. */
  milestones: number[];
  /** Multiplicative factor of the decay (default 0.1). */
  gamma?: number;
  /** Index of the last epoch when resuming (default -1). */
  lastEpoch?: number;
}

/**
 * Multiplies each group's learning rate by `gamma` when the epoch reaches a milestone
 * (PyTorch's `MultiStepLR`; a repeated milestone multiplies by gamma^count).
 *
 * @example
 * ```ts
 * // lr = 0.05 until epoch 30, 0.005 until 80, then 0.0005
 * const scheduler = new MultiStepLR(optimizer, { milestones: [30, 80], gamma: 0.1 });
 * ```
 */
export class MultiStepLR extends LRScheduler {
  /** Milestone -> how many times it was listed (PyTorch's `Counter`). */
  milestones: Map<number, number>;
  gamma: number;

  constructor(optimizer: Optimizer, options: MultiStepLROptions) {
    super(optimizer, options.lastEpoch);
    this.milestones = new Map();
    for (const m of options.milestones) this.milestones.set(m, (this.milestones.get(m) ?? 0) + 1);
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }

  protected override getLr(): number[] {
    const count = this.milestones.get(this.lastEpoch);
    if (count === undefined) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma ** count);
  }

  protected override stateFields(): StateFields {
    return { gamma: 'gamma' };
  }

  /** As the base's, with `milestones` as PyTorch saves its Counter: `{ "30": 1, "80": 1 }`. */
  override stateDict(): SchedulerStateDict {
    return { milestones: Object.fromEntries(this.milestones), ...super.stateDict() };
  }

  override loadStateDict(stateDict: SchedulerStateDict): void {
    if (stateDict === null || typeof stateDict !== 'object') return super.loadStateDict(stateDict);
    const { milestones, ...rest } = stateDict;
    let loaded: Map<number, number> | null = null;
    if (milestones !== undefined) {
      if (milestones === null || typeof milestones !== 'object') {
        throw new OptimizerStateError(`MultiStepLR.loadStateDict: 'milestones' must map epochs to counts, got ${JSON.stringify(milestones)}`);
      }
      const entries = milestones instanceof Map ? [...milestones] : Object.entries(milestones);
      loaded = new Map(entries.map(([epoch, count]) => [Number(epoch), Number(count)]));
    }
    super.loadStateDict(rest);
    if (loaded !== null) this.milestones = loaded;
  }
}
