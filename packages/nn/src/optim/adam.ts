/** Adam: the `adam` update rule (also AdamW's, by one flag) and the `Adam` optimizer. */
import { maximum, zerosLike, type Tensor } from '@loom/tensor';
import { forEachParam } from './for-each-param';
import { checkBetas, checkNonNegative } from './hyperparameters';
import { Optimizer, type GroupOptions, type OptimizerParams, type ParamGroup } from './optimizer';

/** A parameter group of {@link Adam} and {@link AdamW}. */
export interface AdamParamGroup extends ParamGroup {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

/** Options of {@link Adam}. */
export type AdamOptions = GroupOptions<AdamParamGroup>;

/** The hyperparameters the {@link adam} rule reads. */
export interface AdamHyperparameters {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
  /** AdamW: decay the parameter itself (θ ← θ(1 - γλ)) instead of adding λθ to the gradient. */
  decoupledWeightDecay: boolean;
}

/** The state {@link adam} reads and updates, one entry per parameter. */
export interface AdamState {
  expAvgs: Tensor[];
  expAvgSqs: Tensor[];
  /** Only read with `amsgrad`. */
  maxExpAvgSqs: (Tensor | null)[];
  /** Step counts; each is incremented before its parameter's update, as PyTorch's. */
  stateSteps: number[];
}

/** PyTorch 1.13's defaults for Adam. */
export const ADAM_DEFAULTS = { lr: 1e-3, betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0 };

/**
 * The Adam / AdamW update rule (PyTorch's `torch.optim.adam` and `adamw`), in place on
 * `params` and on the moment estimates in `state`. See {@link Adam} and {@link AdamW}.
 *
 * @example
 * ```ts
 * const state = { expAvgs: params.map((p) => zerosLike(p).keep()), expAvgSqs: params.map((p) => zerosLike(p).keep()), maxExpAvgSqs: [], stateSteps: params.map(() => 0) };
 * adam(params, grads, state, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, decoupledWeightDecay: false });
 * ```
 */
export function adam(params: readonly Tensor[], grads: readonly Tensor[], state: AdamState, h: AdamHyperparameters): void {
  forEachParam(params.length, (i) => {
    const param = params[i] as Tensor;
    const expAvg = state.expAvgs[i] as Tensor;
    const expAvgSq = state.expAvgSqs[i] as Tensor;
    let grad = grads[i] as Tensor;
    if (h.maximize) grad = grad.neg();
    const step = (state.stateSteps[i] as number) + 1;
    state.stateSteps[i] = step;

    if (h.decoupledWeightDecay) {
      if (h.weightDecay !== 0) param.mul_(1 - h.lr * h.weightDecay);
    } else if (h.weightDecay !== 0) {
      grad = grad.add(param, { alpha: h.weightDecay });
    }
    expAvg.mul_(h.beta1).add_(grad, { alpha: 1 - h.beta1 });
    expAvgSq.mul_(h.beta2).add_(grad.mul(grad), { alpha: 1 - h.beta2 });

    // Bias corrections in double precision, as PyTorch computes them in Python floats.
    const biasCorrection1 = 1 - h.beta1 ** step;
    const biasCorrection2 = 1 - h.beta2 ** step;
    const stepSize = h.lr / biasCorrection1;
    const biasCorrection2Sqrt = Math.sqrt(biasCorrection2);

    let second = expAvgSq;
    if (h.amsgrad) {
      const maxSq = state.maxExpAvgSqs[i] as Tensor;
      maxSq.copy_(maximum(maxSq, expAvgSq));
      second = maxSq;
    }
    const denom = second.sqrt().div(biasCorrection2Sqrt).add(h.eps);
    param.add_(expAvg.div(denom), { alpha: -stepSize });
  });
}

function checkAdam(o: AdamOptions): void {
  checkNonNegative(o.lr, 'learning rate');
  checkNonNegative(o.eps, 'epsilon value');
  checkBetas(o.betas);
  checkNonNegative(o.weightDecay, 'weight_decay value');
}

/**
 * Adam (PyTorch's `torch.optim.Adam`), with optional AMSGrad.
 *
 * Update rule, for each parameter θ with gradient g at step t (γ = lr, λ = weightDecay):
 *
 * ```text
 * if maximize:  g ← -g
 * if λ ≠ 0:     g ← g + λ θ
 * m ← β1 m + (1 - β1) g
 * v ← β2 v + (1 - β2) g²
 * if amsgrad:   v_max ← max(v_max, v);  v̂ ← v_max  else  v̂ ← v
 * θ ← θ - γ / (1 - β1^t) · m / (sqrt(v̂) / sqrt(1 - β2^t) + ε)
 * ```
 *
 * State per parameter: `step`, `exp_avg` (m), `exp_avg_sq` (v) and, with amsgrad,
 * `max_exp_avg_sq` (v_max). Defaults as PyTorch 1.13: lr 1e-3, betas [0.9, 0.999],
 * eps 1e-8, weightDecay 0.
 *
 * @example
 * ```ts
 * const optimizer = new Adam(model.parameters(), { lr: 1e-3, amsgrad: true });
 * ```
 */
export class Adam extends Optimizer<AdamParamGroup> {
  constructor(params: OptimizerParams<AdamParamGroup>, options: AdamOptions = {}) {
    const defaults: AdamOptions = {
      lr: options.lr ?? ADAM_DEFAULTS.lr,
      betas: options.betas ?? ADAM_DEFAULTS.betas,
      eps: options.eps ?? ADAM_DEFAULTS.eps,
      weightDecay: options.weightDecay ?? ADAM_DEFAULTS.weightDecay,
      amsgrad: options.amsgrad ?? false,
      maximize: options.maximize ?? false,
    };
    checkAdam(defaults);
    super(params, defaults);
  }

  /** AdamW's one difference: weight decay applied to the parameter, not the gradient. */
  protected get decoupledWeightDecay(): boolean {
    return false;
  }

  protected override checkGroup(group: AdamParamGroup): void {
    checkAdam(group);
  }

  protected override updateGroup(group: AdamParamGroup): void {
    const { params, grads } = this.paramsWithGrad(group);
    const states = params.map((p) => {
      const s = this.stateOf(p);
      if (s['step'] === undefined) {
        s['step'] = 0;
        s['exp_avg'] = zerosLike(p).keep();
        s['exp_avg_sq'] = zerosLike(p).keep();
      }
      // Also made when amsgrad is switched on after the first step.
      if (group.amsgrad && s['max_exp_avg_sq'] === undefined) s['max_exp_avg_sq'] = zerosLike(p).keep();
      return s;
    });
    const state: AdamState = {
      expAvgs: states.map((s) => s['exp_avg'] as Tensor),
      expAvgSqs: states.map((s) => s['exp_avg_sq'] as Tensor),
      maxExpAvgSqs: states.map((s) => (s['max_exp_avg_sq'] as Tensor | undefined) ?? null),
      stateSteps: states.map((s) => s['step'] as number),
    };
    const [beta1, beta2] = group.betas;
    adam(params, grads, state, { ...group, beta1, beta2, decoupledWeightDecay: this.decoupledWeightDecay });
    states.forEach((s, i) => {
      s['step'] = state.stateSteps[i] as number;
    });
  }
}
