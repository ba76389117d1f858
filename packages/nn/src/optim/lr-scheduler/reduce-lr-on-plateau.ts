/** ReduceLROnPlateau: lower the lr when a metric stops improving. */
import { ArgumentError, Tensor } from '@loom/tensor';
import type { Optimizer } from '../optimizer';
import { checkOptimizer } from './lr-scheduler';
import { checkGroupList, packState, unpackState, type SchedulerStateDict, type StateFields } from './scheduler-state';

/** Options of {@link ReduceLROnPlateau}; defaults as PyTorch's. */
export interface ReduceLROnPlateauOptions {
  /** `min`: reduce when the metric stops decreasing; `max`: stops increasing (default `min`). */
  mode?: 'min' | 'max';
  /** new lr = lr · factor, < 1 (default 0.1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** How much better counts as better (default 1e-4). */
  threshold?: number;
  /** `rel`: better than best · (1 ∓ threshold); `abs`: than best ∓ threshold (default `rel`). */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** Lower bound of the lr, for every group or one per group (default 0). */
  minLr?: number | number[];
  /** Reductions smaller than this are skipped (default 1e-8). */
  eps?: number;
}

/** State-dict keys, as PyTorch's `ReduceLROnPlateau.state_dict()`. */
const FIELDS: StateFields = {
  factor: 'factor',
  min_lrs: 'minLrs',
  patience: 'patience',
  cooldown: 'cooldown',
  cooldown_counter: 'cooldownCounter',
  mode: 'mode',
  threshold: 'threshold',
  threshold_mode: 'thresholdMode',
  best: 'best',
  num_bad_epochs: 'numBadEpochs',
  mode_worse: 'modeWorse',
  eps: 'eps',
  last_epoch: 'lastEpoch',
  _last_lr: 'lastLr',
};

function checkModes(mode: string, thresholdMode: string): void {
  if (mode !== 'min' && mode !== 'max') throw new ArgumentError(`mode ${mode} is unknown!`, "use 'min' or 'max'");
  if (thresholdMode !== 'rel' && thresholdMode !== 'abs') throw new ArgumentError(`threshold mode ${thresholdMode} is unknown!`, "use 'rel' or 'abs'");
}

/**
 * Reduces each group's learning rate by `factor` when the metric given to `step()`
 * has not improved for `patience` epochs (PyTorch's `ReduceLROnPlateau`).
 *
 * @example
 * ```ts
 * const scheduler = new ReduceLROnPlateau(optimizer, { mode: 'min', patience: 5 });
 * for (let epoch = 0; epoch < 100; epoch++) { train(); scheduler.step(validate()); }
 * ```
 */
export class ReduceLROnPlateau {
  readonly optimizer: Optimizer;
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  minLrs: number[];
  eps: number;
  /** Best metric seen so far. */
  best: number;
  /** Epochs since the last improvement. */
  numBadEpochs = 0;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;
  /** The worst value for the mode (±Infinity), where `best` starts. */
  modeWorse: number;
  lastEpoch = 0;
  private lastLr: number[];

  constructor(optimizer: Optimizer, options: ReduceLROnPlateauOptions = {}) {
    const { mode = 'min', factor = 0.1, patience = 10, threshold = 1e-4, thresholdMode = 'rel', cooldown = 0, minLr = 0, eps = 1e-8 } = options;
    if (factor >= 1.0) throw new ArgumentError('Factor should be < 1.0.', `got factor = ${factor}`);
    checkOptimizer(optimizer);
    this.optimizer = optimizer;
    const groups = optimizer.paramGroups.length;
    if (Array.isArray(minLr)) {
      if (minLr.length !== groups) throw new ArgumentError(`expected ${groups} min_lrs, got ${minLr.length}`);
      this.minLrs = [...minLr];
    } else {
      this.minLrs = new Array<number>(groups).fill(minLr);
    }
    checkModes(mode, thresholdMode);
    this.mode = mode;
    this.factor = factor;
    this.patience = patience;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
    this.cooldown = cooldown;
    this.eps = eps;
    this.modeWorse = mode === 'min' ? Infinity : -Infinity;
    this.best = this.modeWorse;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  /** Whether a reduction happened less than `cooldown` epochs ago. */
  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /**
   * Records the epoch's metric (a number or a one-element tensor) and reduces the
   * learning rates if it has not improved for more than `patience` epochs.
   *
   * @example
   * ```ts
   * scheduler.step(valLoss);
   * ```
   */
  step(metrics: number | Tensor): void {
    const current = metrics instanceof Tensor ? metrics.item() : metrics;
    if (typeof current !== 'number') throw new ArgumentError(`ReduceLROnPlateau.step: metrics must be a number or a Tensor, got ${typeof current}`);
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad epochs during cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /**
   * The learning rates after the last `step()` (the optimizer's, before the first).
   *
   * @example
   * ```ts
   * scheduler.getLastLr(); // [0.01]
   * ```
   */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  private reduceLr(): void {
    this.optimizer.paramGroups.forEach((group, i) => {
      const oldLr = group.lr;
      const newLr = Math.max(oldLr * this.factor, this.minLrs[i] as number);
      if (oldLr - newLr > this.eps) group.lr = newLr;
    });
  }

  /** Whether metric `a` improves on `best` under the mode and threshold. */
  isBetter(a: number, best: number): boolean {
    if (this.mode === 'min' && this.thresholdMode === 'rel') return a < best * (1 - this.threshold);
    if (this.mode === 'min' && this.thresholdMode === 'abs') return a < best - this.threshold;
    if (this.mode === 'max' && this.thresholdMode === 'rel') return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }

  /**
   * The scheduler's state under PyTorch's keys (`best`, `num_bad_epochs`, ...).
   *
   * @example
   * ```ts
   * const sd = scheduler.stateDict();
   * ```
   */
  stateDict(): SchedulerStateDict {
    return packState(this, FIELDS);
  }

  /**
   * Restores state from {@link stateDict} or from PyTorch's.
   *
   * @example
   * ```ts
   * scheduler.loadStateDict(ckpt.schedulerStateDict);
   * ```
   */
  loadStateDict(stateDict: SchedulerStateDict): void {
    if (stateDict !== null && typeof stateDict === 'object' && 'min_lrs' in stateDict) {
      checkGroupList(stateDict['min_lrs'], this.optimizer.paramGroups.length, 'min_lrs', 'ReduceLROnPlateau');
    }
    const before = packState(this, FIELDS);
    unpackState(this, FIELDS, stateDict, 'ReduceLROnPlateau');
    try {
      checkModes(this.mode, this.thresholdMode);
    } catch (err) {
      unpackState(this, FIELDS, before, 'ReduceLROnPlateau');
      throw err;
    }
    this.modeWorse = this.mode === 'min' ? Infinity : -Infinity;
  }
}
