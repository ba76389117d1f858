/** Adagrad: the `adagrad` update rule and the `Adagrad` optimizer. */
import { fullLike, type Tensor } from '@loom/tensor';
import { forEachParam } from './for-each-param';
import { checkNonNegative } from './hyperparameters';
import { Optimizer, type GroupOptions, type OptimizerParams, type ParamGroup, type ParamState } from './optimizer';

/** A parameter group of {@link Adagrad}. */
export interface AdagradParamGroup extends ParamGroup {
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

/** Options of {@link Adagrad}. */
export type AdagradOptions = GroupOptions<AdagradParamGroup>;

/** The hyperparameters the {@link adagrad} rule reads. */
export type AdagradHyperparameters = Pick<AdagradParamGroup, 'lr' | 'lrDecay' | 'weightDecay' | 'eps' | 'maximize'>;

/**
 * The Adagrad update rule (PyTorch's `torch.optim.adagrad`), in place on `params` and
 * `stateSums`; `stateSteps[i]` is incremented before `params[i]` is updated, as
 * PyTorch's. See {@link Adagrad}.
 *
 * @example
 * ```ts
 * adagrad(params, grads, sums, steps, { lr: 1e-2, lrDecay: 0, weightDecay: 0, eps: 1e-10, maximize: false });
 * ```
 */
export function adagrad(params: readonly Tensor[], grads: readonly Tensor[], stateSums: readonly Tensor[], stateSteps: number[], h: AdagradHyperparameters): void {
  forEachParam(params.length, (i) => {
    const param = params[i] as Tensor;
    const sum = stateSums[i] as Tensor;
    const step = (stateSteps[i] as number) + 1;
    stateSteps[i] = step;
    let grad = grads[i] as Tensor;
    if (h.maximize) grad = grad.neg();
    if (h.weightDecay !== 0) grad = grad.add(param, { alpha: h.weightDecay });
    const clr = h.lr / (1 + (step - 1) * h.lrDecay);
    sum.add_(grad.mul(grad));
    const std = sum.sqrt().add(h.eps);
    param.add_(grad.div(std), { alpha: -clr });
  });
}

function checkAdagrad(o: AdagradOptions): void {
  checkNonNegative(o.lr, 'learning rate');
  checkNonNegative(o.lrDecay, 'lr_decay value');
  checkNonNegative(o.weightDecay, 'weight_decay value');
  checkNonNegative(o.initialAccumulatorValue, 'initial_accumulator_value value');
  checkNonNegative(o.eps, 'epsilon value');
}

/**
 * Adagrad (PyTorch's `torch.optim.Adagrad`).
 *
 * Update rule, for each parameter θ with gradient g at step t (γ = lr, η = lrDecay,
 * λ = weightDecay):
 *
 * ```text
 * if maximize:  g ← -g
 * if λ ≠ 0:     g ← g + λ θ
 * γ̃ ← γ / (1 + (t - 1) η)
 * s ← s + g²
 * θ ← θ - γ̃ g / (sqrt(s) + ε)
 * ```
 *
 * State per parameter: `step` and `sum` (s, starting at `initialAccumulatorValue`),
 * made when the optimizer is built, as PyTorch does. Defaults as PyTorch 1.13: lr 1e-2,
 * lrDecay 0, weightDecay 0, initialAccumulatorValue 0, eps 1e-10.
 *
 * @example
 * ```ts
 * const optimizer = new Adagrad(model.parameters(), { lr: 0.01 });
 * ```
 */
export class Adagrad extends Optimizer<AdagradParamGroup> {
  constructor(params: OptimizerParams<AdagradParamGroup>, options: AdagradOptions = {}) {
    const defaults: AdagradOptions = {
      lr: options.lr ?? 1e-2,
      lrDecay: options.lrDecay ?? 0,
      weightDecay: options.weightDecay ?? 0,
      initialAccumulatorValue: options.initialAccumulatorValue ?? 0,
      eps: options.eps ?? 1e-10,
      maximize: options.maximize ?? false,
    };
    checkAdagrad(defaults);
    super(params, defaults);
    for (const group of this.paramGroups) for (const p of group.params) this.initState(p, group);
  }

  private initState(param: Tensor, group: AdagradParamGroup): ParamState {
    const s = this.stateOf(param);
    if (s['step'] === undefined) {
      s['step'] = 0;
      s['sum'] = fullLike(param, group.initialAccumulatorValue).keep();
    }
    return s;
  }

  protected override checkGroup(group: AdagradParamGroup): void {
    checkAdagrad(group);
  }

  protected override updateGroup(group: AdagradParamGroup): void {
    const { params, grads } = this.paramsWithGrad(group);
    // Groups added after construction get their state here (PyTorch's would fail).
    const states = params.map((p) => this.initState(p, group));
    const steps = states.map((s) => s['step'] as number);
    adagrad(params, grads, states.map((s) => s['sum'] as Tensor), steps, group);
    states.forEach((s, i) => {
      s['step'] = steps[i] as number;
    });
  }
}
