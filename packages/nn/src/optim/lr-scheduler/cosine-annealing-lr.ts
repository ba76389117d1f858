/** CosineAnnealingLR: cosine decay from the initial lr to `etaMin` over `tMax` epochs. */
import { ArgumentError } from '@loom/tensor';
import type { Optimizer } from '../optimizer';
import { LRScheduler } from './lr-scheduler';
import type { StateFields } from './scheduler-state';

/** Options of {@link CosineAnnealingLR}. */
export interface CosineAnnealingLROptions {
  /** Half period of the cosine, in epochs (PyTorch's `T_max`). */
  tMax: number;
  /** The minimum learning rate (default 0). */
  etaMin?: number;
  /** Index of the last epoch when resuming (default -1). */
  lastEpoch?: number;
}

/**
 * Cosine annealing (PyTorch's `CosineAnnealingLR`, SGDR without restarts). When only
 * this scheduler sets the learning rate,
 *
 * ```text
 * η_t = η_min + (η_max - η_min) (1 + cos(π t / T_max)) / 2
 * ```
 *
 * with η_max the initial lr; past `tMax` the cosine continues (the lr rises again).
 * The lr is computed recursively from the previous one, as PyTorch 1.13 does:
 *
 * ```text
 * η_t = (1 + cos(π t / T_max)) / (1 + cos(π (t-1) / T_max)) (η_{t-1} - η_min) + η_min
 * η_t = η_{t-1} + (η_max - η_min) (1 - cos(π / T_max)) / 2      when (t - 1 - T_max) mod 2T_max = 0
 * ```
 *
 * so sequences equal PyTorch's and other schedulers can be chained with it.
 *
 * @example
 * ```ts
 * const scheduler = new CosineAnnealingLR(optimizer, { tMax: epochs, etaMin: 1e-5 });
 * ```
 */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;

  constructor(optimizer: Optimizer, options: CosineAnnealingLROptions) {
    if (!(options.tMax > 0)) throw new ArgumentError(`CosineAnnealingLR: tMax must be > 0, got ${options.tMax}`);
    super(optimizer, options.lastEpoch);
    this.tMax = options.tMax;
    this.etaMin = options.etaMin ?? 0;
    this.initialStep();
  }

  protected override getLr(): number[] {
    const { lastEpoch: t, tMax, etaMin } = this;
    if (t === 0) return this.groups.map((g) => g.lr);
    if (this.stepCount === 1 && t > 0) {
      // Resuming at lastEpoch > 0: the closed form, once.
      return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((t * Math.PI) / tMax))) / 2);
    }
    // JavaScript's % keeps the dividend's sign, but only equality with 0 is tested.
    if ((t - 1 - tMax) % (2 * tMax) === 0) {
      return this.groups.map((g, i) => g.lr + ((this.baseLrs[i] as number) - etaMin) * (1 - Math.cos(Math.PI / tMax)) / 2);
    }
    return this.groups.map(
      (g) => ((1 + Math.cos((Math.PI * t) / tMax)) / (1 + Math.cos((Math.PI * (t - 1)) / tMax))) * (g.lr - etaMin) + etaMin,
    );
  }

  protected override stateFields(): StateFields {
    return { T_max: 'tMax', eta_min: 'etaMin' };
  }
}
