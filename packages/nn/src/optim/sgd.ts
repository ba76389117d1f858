/** Stochastic gradient descent: the `sgd` update rule and the `SGD` optimizer. */
import type { Tensor } from '@loom/tensor';
import { ArgumentError } from '@loom/tensor';
import { forEachParam } from './for-each-param';
import { checkNonNegative } from './hyperparameters';
import { Optimizer, type GroupOptions, type OptimizerParams, type ParamGroup } from './optimizer';

/** A parameter group of {@link SGD}. */
export interface SGDParamGroup extends ParamGroup {
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

/** Options of {@link SGD}; `lr` is required, here or in every group (as in PyTorch 1.13). */
export type SGDOptions = GroupOptions<SGDParamGroup>;

/** The hyperparameters the {@link sgd} rule reads. */
export type SGDHyperparameters = Pick<SGDParamGroup, 'lr' | 'momentum' | 'dampening' | 'weightDecay' | 'nesterov' | 'maximize'>;

/**
 * The SGD update rule (PyTorch's `torch.optim.sgd`): updates `params` in place from
 * `grads`. `momentumBuffers[i]` is the state of `params[i]`: `null` before its first
 * step, filled with a new (kept) buffer by it. See {@link SGD} for the rule.
 *
 * @example
 * ```ts
 * const buffers: (Tensor | null)[] = params.map(() => null);
 * sgd(params, params.map((p) => p.grad!), buffers, { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false, maximize: false });
 * ```
 */
export function sgd(params: readonly Tensor[], grads: readonly Tensor[], momentumBuffers: (Tensor | null)[], h: SGDHyperparameters): void {
  forEachParam(params.length, (i) => {
    const param = params[i] as Tensor;
    let g = grads[i] as Tensor;
    if (h.maximize) g = g.neg();
    if (h.weightDecay !== 0) g = g.add(param, { alpha: h.weightDecay });
    if (h.momentum !== 0) {
      let buf = momentumBuffers[i] ?? null;
      if (buf === null) {
        buf = g.detach().keep();
        momentumBuffers[i] = buf;
      } else {
        buf.mul_(h.momentum).add_(g, { alpha: 1 - h.dampening });
      }
      g = h.nesterov ? g.add(buf, { alpha: h.momentum }) : buf;
    }
    param.add_(g, { alpha: -h.lr });
  });
}

function checkSGD(o: SGDOptions): void {
  if (o.lr !== undefined) checkNonNegative(o.lr, 'learning rate');
  checkNonNegative(o.momentum, 'momentum value');
  checkNonNegative(o.weightDecay, 'weight_decay value');
  if (typeof o.dampening !== 'number') throw new ArgumentError(`Invalid dampening value: ${String(o.dampening)}`);
  if (o.nesterov && ((o.momentum as number) <= 0 || o.dampening !== 0)) {
    throw new ArgumentError('Nesterov momentum requires a momentum and zero dampening', 'set momentum > 0 and dampening = 0, or nesterov = false');
  }
}

/**
 * Stochastic gradient descent, optionally with momentum (PyTorch's `torch.optim.SGD`).
 *
 * Update rule, for each parameter θ with gradient g at step t (γ = lr, λ = weightDecay,
 * μ = momentum, τ = dampening):
 *
 * ```text
 * if maximize:   g ← -g
 * if λ ≠ 0:      g ← g + λ θ
 * if μ ≠ 0:      b ← g                  (t = 1)
 *                b ← μ b + (1 - τ) g    (t > 1)
 *                g ← g + μ b  if nesterov, else  g ← b
 * θ ← θ - γ g
 * ```
 *
 * As in PyTorch (and unlike Sutskever et al.), the learning rate multiplies the
 * velocity, not the gradient inside it. State per parameter: `momentum_buffer`
 * (`null` when μ = 0, as PyTorch stores `None`).
 *
 * @example
 * ```ts
 * const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * optimizer.zeroGrad();
 * lossFn(model.forward(x), y).backward();
 * optimizer.step();
 * ```
 */
export class SGD extends Optimizer<SGDParamGroup> {
  constructor(params: OptimizerParams<SGDParamGroup>, options: SGDOptions = {}) {
    const defaults: SGDOptions = {
      lr: options.lr,
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      weightDecay: options.weightDecay ?? 0,
      nesterov: options.nesterov ?? false,
      maximize: options.maximize ?? false,
    };
    checkSGD(defaults);
    super(params, defaults);
  }

  protected override checkGroup(group: SGDParamGroup): void {
    checkSGD(group);
  }

  protected override updateGroup(group: SGDParamGroup): void {
    const { params, grads } = this.paramsWithGrad(group);
    const buffers = params.map((p) => (this.stateOf(p)['momentum_buffer'] as Tensor | null | undefined) ?? null);
    sgd(params, grads, buffers, group);
    params.forEach((p, i) => {
      this.stateOf(p)['momentum_buffer'] = buffers[i] ?? null;
    });
  }
}
