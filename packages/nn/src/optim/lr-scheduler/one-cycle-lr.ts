/** OneCycleLR: the 1cycle policy (warm up to a peak lr, then anneal far below the start). */
import { ArgumentError } from '@loom/tensor';
import { OptimizerStateError } from '../errors';
import type { Optimizer, ParamGroup } from '../optimizer';
import { toCamelCase, toSnakeCase } from '../hyperparameters';
import { LRScheduler, checkOptimizer } from './lr-scheduler';
import type { SchedulerStateDict, StateFields } from './scheduler-state';

/** Options of {@link OneCycleLR}; defaults as PyTorch's. */
export interface OneCycleLROptions {
  /** Peak learning rate, for every group or one per group. */
  maxLr: number | number[];
  /** Steps in the cycle; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the lr (default 0.3). */
  pctStart?: number;
  /** `cos` (default) or `linear` annealing. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (SGD's `momentum`, Adam's beta1) inversely to the lr (default true). */
  cycleMomentum?: boolean;
  /** Momentum at the peak lr (default 0.85). */
  baseMomentum?: number | number[];
  /** Momentum at the start and end (default 0.95). */
  maxMomentum?: number | number[];
  /** initial lr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** min lr = initial lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, down to the initial lr, down to the min lr) as the paper (default false). */
  threePhase?: boolean;
  /** Index of the last batch when resuming (default -1). */
  lastEpoch?: number;
}

/** The group keys phases anneal between. */
type CycleKey = 'initialLr' | 'maxLr' | 'minLr' | 'maxMomentum' | 'baseMomentum';

/** One phase of the cycle, ending at `endStep` (PyTorch's `_schedule_phases` entries). */
interface SchedulePhase {
  endStep: number;
  startLr: CycleKey;
  endLr: CycleKey;
  startMomentum: CycleKey;
  endMomentum: CycleKey;
}

function perGroup(name: string, value: number | number[], groups: number): number[] {
  if (!Array.isArray(value)) return new Array<number>(groups).fill(value);
  if (value.length !== groups) throw new ArgumentError(`expected ${groups} values for ${name}, got ${value.length}`);
  return [...value];
}

function totalStepsOf(o: OneCycleLROptions): number {
  const positiveInt = (v: unknown): boolean => Number.isInteger(v) && (v as number) > 0;
  if (o.totalSteps === undefined && o.epochs === undefined && o.stepsPerEpoch === undefined) {
    throw new ArgumentError('You must define either total_steps OR (epochs AND steps_per_epoch)', 'pass totalSteps, or epochs and stepsPerEpoch');
  }
  if (o.totalSteps !== undefined) {
    if (!positiveInt(o.totalSteps)) throw new ArgumentError(`Expected positive integer total_steps, but got ${o.totalSteps}`);
    return o.totalSteps;
  }
  if (!positiveInt(o.epochs)) throw new ArgumentError(`Expected positive integer epochs, but got ${o.epochs}`);
  if (!positiveInt(o.stepsPerEpoch)) throw new ArgumentError(`Expected positive integer steps_per_epoch, but got ${o.stepsPerEpoch}`);
  return (o.epochs as number) * (o.stepsPerEpoch as number);
}

function phasesOf(totalSteps: number, pctStart: number, threePhase: boolean): SchedulePhase[] {
  if (threePhase) {
    return [
      { endStep: pctStart * totalSteps - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
      { endStep: 2 * pctStart * totalSteps - 2, startLr: 'maxLr', endLr: 'initialLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
      { endStep: totalSteps - 1, startLr: 'initialLr', endLr: 'minLr', startMomentum: 'maxMomentum', endMomentum: 'maxMomentum' },
    ];
  }
  return [
    { endStep: pctStart * totalSteps - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
    { endStep: totalSteps - 1, startLr: 'maxLr', endLr: 'minLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
  ];
}

/** Cosine anneal from `start` to `end` as `pct` goes from 0 to 1 (PyTorch's `_annealing_cos`). */
function annealCos(start: number, end: number, pct: number): number {
  const cosOut = Math.cos(Math.PI * pct) + 1;
  return end + ((start - end) / 2) * cosOut;
}

/** Linear anneal from `start` to `end` (PyTorch's `_annealing_linear`). */
function annealLinear(start: number, end: number, pct: number): number {
  return (end - start) * pct + start;
}

/** A group's momentum hyperparameter, whichever the optimizer has. */
function setMomentum(group: ParamGroup, useBeta1: boolean, value: number): void {
  const g = group as unknown as Record<string, unknown>;
  if (useBeta1) g['betas'] = [value, ...(g['betas'] as number[]).slice(1)];
  else g['momentum'] = value;
}

/**
 * The 1cycle learning-rate policy (Smith & Topin, "Super-Convergence"; PyTorch's
 * `OneCycleLR`), stepped after every batch. The lr rises from `maxLr / divFactor` to
 * `maxLr` over `pctStart` of the steps, then anneals to `initialLr / finalDivFactor`;
 * momentum moves the opposite way between `maxMomentum` and `baseMomentum`. The
 * groups get PyTorch's keys `initialLr`, `maxLr`, `minLr`, `maxMomentum`, `baseMomentum`.
 *
 * ```text
 * cos:     lr = end + (start - end) / 2 · (1 + cos(π · pct))
 * linear:  lr = (end - start) · pct + start
 * ```
 *
 * @example
 * ```ts
 * const scheduler = new OneCycleLR(optimizer, { maxLr: 0.01, epochs: 10, stepsPerEpoch: loader.length });
 * for (let epoch = 0; epoch < 10; epoch++) for await (const batch of loader) { trainBatch(batch); scheduler.step(); }
 * ```
 */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: boolean;
  /** True when the optimizer's momentum is Adam's beta1. */
  useBeta1: boolean;
  private phases: SchedulePhase[];

  constructor(optimizer: Optimizer, options: OneCycleLROptions) {
    checkOptimizer(optimizer);
    const totalSteps = totalStepsOf(options);
    const { pctStart = 0.3, annealStrategy = 'cos', cycleMomentum = true, threePhase = false } = options;
    const { divFactor = 25, finalDivFactor = 1e4, lastEpoch = -1 } = options;
    if (!(pctStart >= 0 && pctStart <= 1)) throw new ArgumentError(`Expected float between 0 and 1 pct_start, but got ${pctStart}`);
    if (annealStrategy !== 'cos' && annealStrategy !== 'linear') {
      throw new ArgumentError(`anneal_strategy must by one of 'cos' or 'linear', instead got ${String(annealStrategy)}`);
    }
    const groups = optimizer.paramGroups;
    const maxLrs = perGroup('max_lr', options.maxLr, groups.length);
    if (lastEpoch === -1) {
      groups.forEach((group, i) => {
        group.initialLr = (maxLrs[i] as number) / divFactor;
        group.maxLr = maxLrs[i] as number;
        group.minLr = group.initialLr / finalDivFactor;
      });
    }
    const defaults = optimizer.defaults as Record<string, unknown>;
    const useBeta1 = 'betas' in defaults;
    if (cycleMomentum) {
      if (!('momentum' in defaults) && !useBeta1) {
        throw new ArgumentError('optimizer must support momentum with `cycle_momentum` option enabled', 'use SGD, RMSprop, Adam or AdamW, or set cycleMomentum: false');
      }
      const maxMomentums = perGroup('max_momentum', options.maxMomentum ?? 0.95, groups.length);
      const baseMomentums = perGroup('base_momentum', options.baseMomentum ?? 0.85, groups.length);
      if (lastEpoch === -1) {
        groups.forEach((group, i) => {
          setMomentum(group, useBeta1, maxMomentums[i] as number);
          group.maxMomentum = maxMomentums[i] as number;
          group.baseMomentum = baseMomentums[i] as number;
        });
      }
    }
    if (lastEpoch !== -1) {
      // Resuming: the groups must carry the cycle's bounds (from the optimizer's state dict).
      const needed: CycleKey[] = cycleMomentum ? ['maxLr', 'minLr', 'maxMomentum', 'baseMomentum'] : ['maxLr', 'minLr'];
      groups.forEach((group, i) => {
        const missing = needed.find((key) => typeof group[key] !== 'number');
        if (missing !== undefined) {
          throw new ArgumentError(
            `param '${toSnakeCase(missing)}' is not specified in param_groups[${i}] when resuming an optimizer`,
            'load the optimizer state dict saved with the scheduler first, or start with lastEpoch = -1',
          );
        }
      });
    }
    super(optimizer, lastEpoch);
    this.totalSteps = totalSteps;
    this.annealStrategy = annealStrategy;
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = useBeta1;
    this.phases = phasesOf(totalSteps, pctStart, threePhase);
    this.initialStep();
  }

  protected override getLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new ArgumentError(
        `Tried to step ${stepNum + 1} times. The specified number of total steps is ${this.totalSteps}`,
        'totalSteps (or epochs × stepsPerEpoch) must cover every scheduler.step() call',
      );
    }
    const anneal = this.annealStrategy === 'cos' ? annealCos : annealLinear;
    return this.groups.map((group) => {
      const at = (key: CycleKey): number => group[key] as number;
      let startStep = 0;
      let lr = 0;
      let momentum = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const phase = this.phases[i] as SchedulePhase;
        if (stepNum <= phase.endStep || i === this.phases.length - 1) {
          const pct = (stepNum - startStep) / (phase.endStep - startStep);
          lr = anneal(at(phase.startLr), at(phase.endLr), pct);
          if (this.cycleMomentum) momentum = anneal(at(phase.startMomentum), at(phase.endMomentum), pct);
          break;
        }
        startStep = phase.endStep;
      }
      if (this.cycleMomentum) setMomentum(group, this.useBeta1, momentum);
      return lr;
    });
  }

  protected override stateFields(): StateFields {
    return { total_steps: 'totalSteps', cycle_momentum: 'cycleMomentum', use_beta1: 'useBeta1' };
  }

  /** As the base's, with the phases as PyTorch saves them (`end_step`, `start_lr: 'initial_lr'`, ...). */
  override stateDict(): SchedulerStateDict {
    const phases = this.phases.map((p) =>
      Object.fromEntries(Object.entries(p).map(([k, v]) => [toSnakeCase(k), typeof v === 'string' ? toSnakeCase(v) : v])),
    );
    const sd: SchedulerStateDict = { ...super.stateDict(), _schedule_phases: phases };
    // PyTorch only has use_beta1 when momentum is cycled.
    if (!this.cycleMomentum) delete sd['use_beta1'];
    return sd;
  }

  override loadStateDict(stateDict: SchedulerStateDict): void {
    if (stateDict === null || typeof stateDict !== 'object') return super.loadStateDict(stateDict);
    const { _schedule_phases: phases, ...rest } = stateDict;
    let loaded: SchedulePhase[] | null = null;
    if (phases !== undefined) {
      if (!Array.isArray(phases)) throw new OptimizerStateError(`OneCycleLR.loadStateDict: '_schedule_phases' must be an array, got ${typeof phases}`);
      loaded = phases.map((p: Record<string, unknown>) =>
        Object.fromEntries(Object.entries(p).map(([k, v]) => [toCamelCase(k), typeof v === 'string' ? toCamelCase(v) : v])),
      ) as unknown as SchedulePhase[];
    }
    super.loadStateDict(rest);
    if (loaded !== null) this.phases = loaded;
  }
}
