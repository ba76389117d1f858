/** RMSprop: the `rmsprop` update rule and the `RMSprop` optimizer. */
import { zerosLike, type Tensor } from '@loom/tensor';
import { forEachParam } from './for-each-param';
import { checkNonNegative } from './hyperparameters';
import { Optimizer, type GroupOptions, type OptimizerParams, type ParamGroup } from './optimizer';

/** A parameter group of {@link RMSprop}. */
export interface RMSpropParamGroup extends ParamGroup {
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

/** Options of {@link RMSprop}. */
export type RMSpropOptions = GroupOptions<RMSpropParamGroup>;

/** The hyperparameters the {@link rmsprop} rule reads. */
export type RMSpropHyperparameters = Pick<RMSpropParamGroup, 'lr' | 'alpha' | 'eps' | 'weightDecay' | 'momentum' | 'centered' | 'maximize'>;

/** The state {@link rmsprop} updates, one entry per parameter. */
export interface RMSpropState {
  squareAvgs: Tensor[];
  /** Only read when `centered`. */
  gradAvgs: (Tensor | null)[];
  /** Only read when `momentum > 0`. */
  momentumBuffers: (Tensor | null)[];
}

/**
 * The RMSprop update rule (PyTorch's `torch.optim.rmsprop`), in place on `params` and
 * `state`. See {@link RMSprop}.
 *
 * @example
 * ```ts
 * rmsprop(params, grads, { squareAvgs, gradAvgs: [], momentumBuffers: [] }, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false });
 * ```
 */
export function rmsprop(params: readonly Tensor[], grads: readonly Tensor[], state: RMSpropState, h: RMSpropHyperparameters): void {
  forEachParam(params.length, (i) => {
    const param = params[i] as Tensor;
    const squareAvg = state.squareAvgs[i] as Tensor;
    let grad = grads[i] as Tensor;
    if (h.maximize) grad = grad.neg();
    if (h.weightDecay !== 0) grad = grad.add(param, { alpha: h.weightDecay });

    squareAvg.mul_(h.alpha).add_(grad.mul(grad), { alpha: 1 - h.alpha });
    let avg: Tensor;
    if (h.centered) {
      const gradAvg = state.gradAvgs[i] as Tensor;
      gradAvg.mul_(h.alpha).add_(grad, { alpha: 1 - h.alpha });
      avg = squareAvg.sub(gradAvg.mul(gradAvg)).sqrt();
    } else {
      avg = squareAvg.sqrt();
    }
    avg = avg.add(h.eps);

    if (h.momentum > 0) {
      const buf = state.momentumBuffers[i] as Tensor;
      buf.mul_(h.momentum).add_(grad.div(avg));
      param.add_(buf, { alpha: -h.lr });
    } else {
      param.add_(grad.div(avg), { alpha: -h.lr });
    }
  });
}

function checkRMSprop(o: RMSpropOptions): void {
  checkNonNegative(o.lr, 'learning rate');
  checkNonNegative(o.eps, 'epsilon value');
  checkNonNegative(o.momentum, 'momentum value');
  checkNonNegative(o.weightDecay, 'weight_decay value');
  checkNonNegative(o.alpha, 'alpha value');
}

/**
 * RMSprop (PyTorch's `torch.optim.RMSprop`), optionally centered and with momentum.
 *
 * Update rule, for each parameter θ with gradient g (γ = lr, α = alpha, λ = weightDecay,
 * μ = momentum):
 *
 * ```text
 * if maximize:  g ← -g
 * if λ ≠ 0:     g ← g + λ θ
 * v ← α v + (1 - α) g²
 * if centered:  ḡ ← α ḡ + (1 - α) g;   d ← sqrt(v - ḡ²) + ε   else   d ← sqrt(v) + ε
 * if μ > 0:     b ← μ b + g / d;   θ ← θ - γ b
 * else:         θ ← θ - γ g / d
 * ```
 *
 * State per parameter: `step`, `square_avg` (v), `momentum_buffer` (b, when μ > 0),
 * `grad_avg` (ḡ, when centered). Defaults as PyTorch 1.13: lr 1e-2, alpha 0.99,
 * eps 1e-8, weightDecay 0, momentum 0.
 *
 * @example
 * ```ts
 * const optimizer = new RMSprop(model.parameters(), { lr: 1e-3, centered: true, momentum: 0.9 });
 * ```
 */
export class RMSprop extends Optimizer<RMSpropParamGroup> {
  constructor(params: OptimizerParams<RMSpropParamGroup>, options: RMSpropOptions = {}) {
    const defaults: RMSpropOptions = {
      lr: options.lr ?? 1e-2,
      alpha: options.alpha ?? 0.99,
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      momentum: options.momentum ?? 0,
      centered: options.centered ?? false,
      maximize: options.maximize ?? false,
    };
    checkRMSprop(defaults);
    super(params, defaults);
  }

  protected override checkGroup(group: RMSpropParamGroup): void {
    checkRMSprop(group);
  }

  protected override updateGroup(group: RMSpropParamGroup): void {
    const { params, grads } = this.paramsWithGrad(group);
    const states = params.map((p) => {
      const s = this.stateOf(p);
      if (s['step'] === undefined) {
        s['step'] = 0;
        s['square_avg'] = zerosLike(p).keep();
      }
      // Made on first need, so momentum or centering switched on later works too.
      if (group.momentum > 0 && s['momentum_buffer'] === undefined) s['momentum_buffer'] = zerosLike(p).keep();
      if (group.centered && s['grad_avg'] === undefined) s['grad_avg'] = zerosLike(p).keep();
      s['step'] = (s['step'] as number) + 1;
      return s;
    });
    rmsprop(params, grads, {
      squareAvgs: states.map((s) => s['square_avg'] as Tensor),
      gradAvgs: states.map((s) => (s['grad_avg'] as Tensor | undefined) ?? null),
      momentumBuffers: states.map((s) => (s['momentum_buffer'] as Tensor | undefined) ?? null),
    }, group);
  }
}
