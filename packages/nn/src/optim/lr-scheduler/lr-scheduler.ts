/**
 * The `LRScheduler` base (PyTorch 1.13's `_LRScheduler`): `lastEpoch`, the base
 * learning rates, `step()` writing each group's `lr`, `getLastLr()`, state dicts.
 *
 * Schedulers compute the next learning rate from the current one (PyTorch's chainable
 * form), not from a closed formula, so several schedulers can drive one optimizer and
 * the numbers match PyTorch's to the last bit.
 */
import { ArgumentError } from '@loom/tensor';
import { typeName } from '../errors';
import { Optimizer, type ParamGroup } from '../optimizer';
import { checkGroupList, packState, unpackState, type SchedulerStateDict, type StateFields } from './scheduler-state';

/** State-dict keys every scheduler has, as PyTorch names them. */
const BASE_FIELDS: StateFields = { base_lrs: 'baseLrs', last_epoch: 'lastEpoch', _step_count: 'stepCount', _last_lr: 'lastLr' };

/** Throws unless `optimizer` is an `Optimizer` (PyTorch: `X is not an Optimizer`). */
export function checkOptimizer(optimizer: unknown): asserts optimizer is Optimizer {
  if (!(optimizer instanceof Optimizer)) {
    throw new ArgumentError(`${typeName(optimizer)} is not an Optimizer`, 'pass the optimizer whose learning rate the scheduler drives');
  }
}

/**
 * Base class of the epoch-driven learning-rate schedulers. Subclasses implement
 * `getLr()` and call `initialStep()` at the end of their constructor, which sets
 * each group's lr for epoch 0 (as PyTorch's constructor does).
 *
 * @example
 * ```ts
 * const scheduler = new StepLR(optimizer, { stepSize: 30 });
 * for (let epoch = 0; epoch < 100; epoch++) { train(); scheduler.step(); }
 * ```
 */
export abstract class LRScheduler {
  /** The optimizer whose groups' `lr` this scheduler sets. */
  readonly optimizer: Optimizer;
  /** Each group's `initialLr` when the scheduler was built (PyTorch's `base_lrs`). */
  baseLrs: number[];
  /** Index of the last epoch (or batch) stepped; -1 before the first. */
  lastEpoch: number;
  /** Number of `step()` calls, the initial one included (PyTorch's `_step_count`). */
  protected stepCount = 0;
  /** Learning rates set by the last `step()`. */
  protected lastLr: number[] = [];

  constructor(optimizer: Optimizer, lastEpoch = -1) {
    checkOptimizer(optimizer);
    if (!Number.isInteger(lastEpoch) || lastEpoch < -1) throw new ArgumentError(`${new.target.name}: lastEpoch must be an integer >= -1, got ${lastEpoch}`);
    this.optimizer = optimizer;
    optimizer.paramGroups.forEach((group, i) => {
      if (lastEpoch === -1) {
        group.initialLr ??= group.lr;
      } else if (group.initialLr === undefined) {
        throw new ArgumentError(
          `param 'initial_lr' is not specified in param_groups[${i}] when resuming an optimizer`,
          'load the optimizer state dict saved with the scheduler first, or start with lastEpoch = -1',
        );
      }
    });
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
  }

  /** The learning rates for `lastEpoch`, computed from the groups' current ones. */
  protected abstract getLr(): number[];

  /** The scheduler's own state-dict keys, beyond the base's. */
  protected abstract stateFields(): StateFields;

  /** PyTorch's `_initial_step`: the first `step()`, made by the constructor. */
  protected initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** The parameter groups, for subclasses. */
  protected get groups(): ParamGroup[] {
    return this.optimizer.paramGroups;
  }

  /**
   * Advances one epoch and sets each group's learning rate. Call it after
   * `optimizer.step()`.
   *
   * @example
   * ```ts
   * optimizer.step();
   * scheduler.step();
   * ```
   */
  step(): void {
    this.stepCount++;
    this.lastEpoch++;
    const values = this.getLr();
    this.groups.forEach((group, i) => {
      group.lr = values[i] as number;
    });
    this.lastLr = this.groups.map((g) => g.lr);
  }

  /**
   * The learning rates the last `step()` set, one per group.
   *
   * @example
   * ```ts
   * console.log(scheduler.getLastLr()); // [0.1]
   * ```
   */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /**
   * The scheduler's state under PyTorch's keys (`last_epoch`, `base_lrs`, ...); the
   * optimizer is not included (save its own state dict too).
   *
   * @example
   * ```ts
   * const ckpt = { optimizerStateDict: optimizer.stateDict(), schedulerStateDict: scheduler.stateDict() };
   * ```
   */
  stateDict(): SchedulerStateDict {
    return packState(this, { ...this.stateFields(), ...BASE_FIELDS });
  }

  /**
   * Restores state from {@link stateDict} (or from PyTorch's, whose implementation-only
   * keys such as `verbose` are skipped). Group learning rates come from the optimizer's
   * own state dict.
   *
   * @example
   * ```ts
   * optimizer.loadStateDict(ckpt.optimizerStateDict);
   * scheduler.loadStateDict(ckpt.schedulerStateDict);
   * ```
   */
  loadStateDict(stateDict: SchedulerStateDict): void {
    const who = this.constructor.name;
    if (stateDict !== null && typeof stateDict === 'object' && 'base_lrs' in stateDict) {
      checkGroupList(stateDict['base_lrs'], this.groups.length, 'base_lrs', who);
    }
    unpackState(this, { ...this.stateFields(), ...BASE_FIELDS }, stateDict, who);
  }
}
