/**
 * The `Optimizer` base: parameter groups, per-parameter state, `zeroGrad`, `step` and
 * state dicts, as `torch.optim.Optimizer`. Subclasses only say how to check their
 * hyperparameters and how to update one group; the update rule itself is a pure
 * function next to each class (`sgd`, `adam`, ...), as in `torch/optim/sgd.py`.
 *
 * State dicts: see NOTE [Optimizer state dicts] in state-dict.ts.
 */
import { ArgumentError, Tensor, enableGrad, noGrad } from '@loom/tensor';
import { typeName } from './errors';
import { copyValue } from './hyperparameters';
import { packStateDict, unpackStateDict, type OptimizerStateDict } from './state-dict';

/** A parameter's state, under PyTorch's names (`momentum_buffer`, `step`, `exp_avg`, ...). */
export type ParamState = Record<string, Tensor | number | null>;

/**
 * A parameter group as the optimizer holds it: the parameters and the hyperparameters
 * that apply to them. Schedulers add their own keys (`initialLr`, `maxLr`, ...).
 */
export interface ParamGroup {
  params: Tensor[];
  lr: number;
  /** The learning rate a scheduler starts from (PyTorch's `initial_lr`). */
  initialLr?: number;
  /** `OneCycleLR`'s peak learning rate. */
  maxLr?: number;
  /** `OneCycleLR`'s final learning rate. */
  minLr?: number;
  /** `OneCycleLR`'s momentum at the start and end of the cycle. */
  maxMomentum?: number;
  /** `OneCycleLR`'s momentum at the peak learning rate. */
  baseMomentum?: number;
}

/** The hyperparameters of a group type, all optional (what options and defaults hold). */
export type GroupOptions<G extends ParamGroup> = Partial<Omit<G, 'params'>>;

/** A parameter group as given to a constructor or `addParamGroup`. */
export type ParamGroupInput<G extends ParamGroup = ParamGroup> = GroupOptions<G> & { params: Iterable<Tensor> | Tensor };

/** What optimizers are built from: parameters, or parameter groups with their own options. */
export type OptimizerParams<G extends ParamGroup = ParamGroup> = Iterable<Tensor> | Iterable<ParamGroupInput<G>>;

/**
 * Base class of every optimizer (PyTorch's `torch.optim.Optimizer`).
 *
 * @example
 * ```ts
 * const optimizer = new SGD(model.parameters(), { lr: 1e-3 });
 * optimizer.zeroGrad();
 * lossFn(model.forward(X), y).backward();
 * optimizer.step();
 * ```
 */
export abstract class Optimizer<G extends ParamGroup = ParamGroup> {
  /** The options every group starts from (PyTorch's `defaults`); `lr` may be required. */
  readonly defaults: Readonly<GroupOptions<G>>;
  /** The parameter groups, in order; hyperparameters may be changed between steps. */
  paramGroups: G[] = [];
  /** Per-parameter state (PyTorch's `optimizer.state`), created by the first step. */
  state = new Map<Tensor, ParamState>();

  constructor(params: OptimizerParams<G>, defaults: GroupOptions<G>) {
    this.defaults = defaults;
    if (params instanceof Tensor || params === null || typeof params !== 'object' || !(Symbol.iterator in params)) {
      throw new ArgumentError(
        `params argument given to the optimizer should be an iterable of Tensors or param groups, but got ${typeName(params)}`,
        'pass model.parameters(), an array of tensors, or [{ params, ...options }]',
      );
    }
    const items = [...(params as Iterable<Tensor | ParamGroupInput<G>>)];
    if (items.length === 0) {
      throw new ArgumentError('optimizer got an empty parameter list', 'the model has no parameters, or the iterator was already consumed');
    }
    const groups = items[0] instanceof Tensor ? [{ params: items as Tensor[] } as unknown as ParamGroupInput<G>] : (items as ParamGroupInput<G>[]);
    for (const group of groups) this.addParamGroup(group);
  }

  /** Checks one group's hyperparameters, throwing PyTorch's messages. */
  protected abstract checkGroup(group: G): void;

  /** Updates the parameters of one group from their `.grad` (runs under `noGrad`). */
  protected abstract updateGroup(group: G): void;

  /**
   * Adds a parameter group, with options that override the defaults (fine-tuning:
   * unfreeze layers and give them their own learning rate).
   *
   * @example
   * ```ts
   * optimizer.addParamGroup({ params: head.parameters(), lr: 1e-2 });
   * ```
   */
  addParamGroup(paramGroup: ParamGroupInput<G>): void {
    if (paramGroup === null || typeof paramGroup !== 'object' || !('params' in paramGroup)) {
      throw new ArgumentError(`addParamGroup: param group must be an object with a params field, got ${typeName(paramGroup)}`);
    }
    const given = paramGroup.params;
    if (!(given instanceof Tensor) && (given === null || typeof given !== 'object' || !(Symbol.iterator in given))) {
      throw new ArgumentError(`addParamGroup: params must be a Tensor or an iterable of Tensors, got ${typeName(given)}`);
    }
    const params = given instanceof Tensor ? [given] : [...given];
    for (const p of params as unknown[]) {
      if (!(p instanceof Tensor)) throw new ArgumentError(`optimizer can only optimize Tensors, but one of the params is ${typeName(p)}`);
      if (!p.isLeaf) {
        throw new ArgumentError("can't optimize a non-leaf Tensor", 'optimize the parameters themselves (leaves), not results computed from them');
      }
    }
    if (new Set(params).size !== params.length) {
      throw new ArgumentError('optimizer contains a parameter group with duplicate parameters', 'each parameter would be updated twice per step; list it once');
    }
    const taken = new Set(this.paramGroups.flatMap((g) => g.params));
    if (params.some((p) => taken.has(p))) throw new ArgumentError('some parameters appear in more than one parameter group');

    const group: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(paramGroup)) if (key !== 'params') group[key] = copyValue(value);
    for (const [key, value] of Object.entries(this.defaults)) {
      if (group[key] !== undefined) continue;
      if (value === undefined) throw new ArgumentError(`parameter group didn't specify a value of required optimization parameter ${key}`);
      group[key] = copyValue(value);
    }
    group['params'] = params;
    this.checkGroup(group as unknown as G);
    this.paramGroups.push(group as unknown as G);
  }

  /**
   * Clears the gradients of every parameter. With `setToNone` (the default, as in
   * PyTorch 2) `.grad` becomes `null` and its memory is released at once; otherwise
   * the gradients are zeroed in place.
   *
   * @example
   * ```ts
   * optimizer.zeroGrad();                      // grads released, .grad = null
   * optimizer.zeroGrad({ setToNone: false });  // grads kept, filled with 0
   * ```
   */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    const setToNone = options.setToNone ?? true;
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          if (p.grad === null) continue;
          if (setToNone) {
            p.grad.dispose();
            p.grad = null;
          } else if (!p.grad.isDisposed) {
            p.grad.zero_();
          }
        }
      }
    });
  }

  /**
   * Performs one update of every parameter that has a gradient. `closure`, when
   * given, re-evaluates the model and returns the loss (run with grad enabled); its
   * result is returned.
   *
   * @example
   * ```ts
   * optimizer.step();
   * const loss = optimizer.step(() => { optimizer.zeroGrad(); const l = lossFn(model.forward(x), y); l.backward(); return l; });
   * ```
   */
  step<T = unknown>(closure?: () => T): T | undefined {
    const loss = closure === undefined ? undefined : enableGrad(closure);
    noGrad(() => {
      for (const group of this.paramGroups) this.updateGroup(group);
    });
    return loss;
  }

  /** The parameters of `group` that have a gradient, with their gradients. */
  protected paramsWithGrad(group: G): { params: Tensor[]; grads: Tensor[] } {
    const params: Tensor[] = [];
    const grads: Tensor[] = [];
    for (const p of group.params) {
      if (p.grad === null || p.grad.isDisposed) continue;
      params.push(p);
      grads.push(p.grad);
    }
    return { params, grads };
  }

  /** The state of `param`, created empty on first use (PyTorch's `defaultdict`). */
  protected stateOf(param: Tensor): ParamState {
    let s = this.state.get(param);
    if (s === undefined) {
      s = {};
      this.state.set(param, s);
    }
    return s;
  }

  /**
   * The optimizer's state in PyTorch's structure; see NOTE [Optimizer state dicts].
   *
   * @example
   * ```ts
   * await save({ epoch, modelStateDict: model.stateDict(), optimizerStateDict: optimizer.stateDict() }, path);
   * ```
   */
  stateDict(): OptimizerStateDict {
    return packStateDict(this.paramGroups, this.state);
  }

  /**
   * Loads a state dict from {@link stateDict} (or PyTorch's, with `param_groups`):
   * hyperparameters and per-parameter state. Checks the group count, each group's
   * parameter count and each state tensor's shape before changing anything.
   *
   * @example
   * ```ts
   * const ckpt = await load(path);
   * optimizer.loadStateDict(ckpt.optimizerStateDict);
   * ```
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const { groups, state } = unpackStateDict(stateDict, this.paramGroups, (group) => this.checkGroup(group));
    this.disposeState();
    this.state = state;
    this.paramGroups = groups;
  }

  /**
   * Releases the state tensors (momentum buffers, moment estimates). The optimizer
   * starts from empty state if stepped again.
   *
   * @example
   * ```ts
   * optimizer.dispose();
   * ```
   */
  dispose(): void {
    this.disposeState();
    this.state = new Map();
  }

  private disposeState(): void {
    for (const s of this.state.values()) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
  }

  /** PyTorch's repr: the class name and each group's hyperparameters, sorted. */
  toString(): string {
    const lines = [`${this.constructor.name} (`];
    this.paramGroups.forEach((group, i) => {
      lines.push(`Parameter Group ${i}`);
      const keys = Object.keys(group).filter((k) => k !== 'params').sort();
      for (const key of keys) lines.push(`    ${key}: ${JSON.stringify((group as unknown as Record<string, unknown>)[key])}`);
    });
    lines.push(')');
    return lines.join('\n');
  }
}
