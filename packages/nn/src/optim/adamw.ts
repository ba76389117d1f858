/** AdamW: Adam with decoupled weight decay. */
import { ADAM_DEFAULTS, Adam, type AdamOptions, type AdamParamGroup } from './adam';
import type { OptimizerParams } from './optimizer';

/** PyTorch's AdamW default weight decay (Adam's is 0). */
const ADAMW_WEIGHT_DECAY = 1e-2;

/**
 * AdamW (PyTorch's `torch.optim.AdamW`): {@link Adam} whose weight decay shrinks the
 * parameter directly instead of entering the gradient (Loshchilov & Hutter).
 *
 * Update rule (γ = lr, λ = weightDecay), the rest as Adam without its `g ← g + λθ`:
 *
 * ```text
 * θ ← θ (1 - γ λ)
 * m ← β1 m + (1 - β1) g;   v ← β2 v + (1 - β2) g²
 * θ ← θ - γ / (1 - β1^t) · m / (sqrt(v̂) / sqrt(1 - β2^t) + ε)
 * ```
 *
 * Defaults as PyTorch 1.13: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 1e-2.
 *
 * @example
 * ```ts
 * const optimizer = new AdamW(model.parameters(), { lr: 3e-4, weightDecay: 0.1 });
 * ```
 */
export class AdamW extends Adam {
  constructor(params: OptimizerParams<AdamParamGroup>, options: AdamOptions = {}) {
    super(params, { ...options, lr: options.lr ?? ADAM_DEFAULTS.lr, weightDecay: options.weightDecay ?? ADAMW_WEIGHT_DECAY });
  }

  protected override get decoupledWeightDecay(): boolean {
    return true;
  }
}
