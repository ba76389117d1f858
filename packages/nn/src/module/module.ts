/**
 * `Module`: the base of every layer and model, as `torch.nn.Module`. Properties
 * assigned a `Parameter` or a `Module` register themselves in assignment order (see
 * NOTE [Callable modules and property registration] in callable.ts), and a module is
 * called like a function: `model(X)` runs the forward pre-hooks, `forward` and the
 * forward hooks.
 */
import { inspect } from 'node:util';
import { ArgumentError, DTYPES, Tensor, noGrad, zeros } from '@loom/tensor';
import { ForwardNotImplementedError } from '../errors';
import { createModuleObject } from './callable';
import { addHook, type ForwardHook, type ForwardPreHook, type HookHandle } from './hooks';
import type { Parameter } from './parameter';
import { describe, register, registryOf } from './registry';
import { formatModule } from './repr';
import { namedChildrenOf, namedModulesOf, namedTensorsOf, submoduleOf } from './traversal';
import {
  loadStateDictInto,
  stateDictOf,
  type IncompatibleKeys,
  type LoadStateDictOptions,
  type StateDict,
  type StateDictOptions,
} from './state-dict';

/** Options of `registerBuffer`. */
export interface BufferOptions {
  /** Whether the buffer is part of the state dict (default true). */
  persistent?: boolean;
}

/** Options of `zeroGrad`. */
export interface ZeroGradOptions {
  /** Drop (and dispose) the gradients instead of filling them with zeros (default true, as PyTorch 2). */
  setToNone?: boolean;
}

// The call signature, merged into the class: `model(x)` takes what `forward` takes
// and returns what it returns.
export interface Module {
  (...inputs: Parameters<this['forward']>): ReturnType<this['forward']>;
}

/**
 * Base class of layers and models. Subclass it, assign layers and parameters as
 * properties, and write `forward`; call the module like a function.
 *
 * @example
 * ```ts
 * class NeuralNetwork extends Module {
 *   flatten = new Flatten();
 *   linear_relu_stack = new Sequential(new Linear(28 * 28, 512), new ReLU(), new Linear(512, 512), new ReLU(), new Linear(512, 10));
 *   override forward(x: Tensor): Tensor {
 *     return this.linear_relu_stack(this.flatten(x));
 *   }
 * }
 * const model = new NeuralNetwork();
 * const logits = model(X);
 * Object.keys(model.stateDict()); // ['linear_relu_stack.0.weight', 'linear_relu_stack.0.bias', ...]
 * ```
 */
export class Module {
  /** Whether the module is in training mode (PyTorch's `training`); set by `train()`/`eval()`. */
  declare training: boolean;

  constructor() {
    // The instance is a callable Proxy; subclass fields and assignments go through it.
    return createModuleObject(new.target.prototype) as this;
  }

  /**
   * The computation, to be overridden. Call the module (`model(x)`) rather than
   * `forward` directly, so that hooks run.
   */
  forward(..._inputs: any[]): any {
    throw new ForwardNotImplementedError(`Module [${this.constructor.name}] is missing the required "forward" function`, 'override forward() in the subclass');
  }

  // ---- registration -------------------------------------------------------------

  /**
   * Registers a parameter (or `null`, which keeps the name reserved, as a `Linear`
   * without bias does) and makes it the property `name`.
   *
   * @example
   * ```ts
   * this.registerParameter('bias', bias ? new Parameter(zeros([n])) : null);
   * ```
   */
  registerParameter(name: string, param: Parameter | null): void {
    register(this, 'parameter', name, param);
  }

  /**
   * Registers a buffer: state that is not trained but saved (BatchNorm's running
   * statistics), or only kept with the module when `persistent: false`. The tensor
   * is kept alive (`keep()`) and becomes the property `name`.
   *
   * @example
   * ```ts
   * this.registerBuffer('running_mean', zeros([numFeatures]));
   * ```
   */
  registerBuffer(name: string, tensor: Tensor | null, options: BufferOptions = {}): void {
    register(this, 'buffer', name, tensor, options.persistent ?? true);
  }

  /**
   * Registers a child module under `name` (PyTorch's `register_module`/`add_module`);
   * assigning a module to a property does the same.
   *
   * @example
   * ```ts
   * this.registerModule('0', new Linear(4, 2)); // a name that is not an identifier
   * ```
   */
  registerModule(name: string, module: Module | null): void {
    register(this, 'module', name, module);
  }

  /** Alias of {@link registerModule} (PyTorch's `add_module`). @example `seq.addModule('head', new Linear(8, 2))` */
  addModule(name: string, module: Module | null): void {
    this.registerModule(name, module);
  }

  // ---- traversal ----------------------------------------------------------------

  /**
   * Each module once, with its dotted name, this one first (named `''`), depth first.
   *
   * @example
   * ```ts
   * model.namedModules().map(([name]) => name); // ['', 'flatten', 'linear_relu_stack', 'linear_relu_stack.0', ...]
   * ```
   */
  namedModules(prefix = ''): [string, Module][] {
    return namedModulesOf(this, prefix);
  }

  /** Every module, this one first. @example `model.modules().length` */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** The direct children with their names. @example `model.namedChildren()[0][0] // 'flatten'` */
  namedChildren(): [string, Module][] {
    return namedChildrenOf(this);
  }

  /** The direct children. @example `for (const layer of seq.children()) ...` */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /**
   * Every parameter once (shared ones under their first name), with dotted names.
   *
   * @example
   * ```ts
   * for (const [name, p] of model.namedParameters()) console.log(name, p.shape);
   * ```
   */
  namedParameters(prefix = '', recurse = true): [string, Parameter][] {
    return namedTensorsOf(this, 'parameters', prefix, recurse) as [string, Parameter][];
  }

  /** Every parameter once, in registration order. @example `new SGD(model.parameters(), { lr: 1e-3 })` */
  parameters(recurse = true): Parameter[] {
    return this.namedParameters('', recurse).map(([, p]) => p);
  }

  /** Every buffer once, with dotted names. @example `bn.namedBuffers() // [['running_mean', ...], ...]` */
  namedBuffers(prefix = '', recurse = true): [string, Tensor][] {
    return namedTensorsOf(this, 'buffers', prefix, recurse);
  }

  /** Every buffer once. @example `model.buffers().length` */
  buffers(recurse = true): Tensor[] {
    return this.namedBuffers('', recurse).map(([, b]) => b);
  }

  /**
   * The submodule at a dotted path (PyTorch's `get_submodule`).
   *
   * @example
   * ```ts
   * model.getSubmodule('linear_relu_stack.0'); // the first Linear
   * ```
   */
  getSubmodule(target: string): Module {
    const found = submoduleOf(this, target);
    if (typeof found === 'string') throw new ArgumentError(`getSubmodule: ${found} (in '${target}')`);
    return found;
  }

  // ---- modes and gradients ------------------------------------------------------

  /**
   * Sets training mode on this module and every descendant (Dropout and BatchNorm
   * behave differently in training and evaluation). Returns the module.
   *
   * @example
   * ```ts
   * model.train(); ... model.eval();
   * ```
   */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new ArgumentError(`train: training mode is expected to be boolean, got ${describe(mode)}`);
    this.training = mode;
    for (const child of this.children()) child.train(mode);
    return this;
  }

  /** Evaluation mode, `train(false)`. @example `model.eval()` */
  eval(): this {
    return this.train(false);
  }

  /**
   * Clears the gradients of every parameter. By default (`setToNone`, PyTorch 2's
   * default) the gradient tensors are disposed and `.grad` becomes null; otherwise
   * they are filled with zeros.
   *
   * @example
   * ```ts
   * model.zeroGrad(); loss.backward();
   * ```
   */
  zeroGrad(options: ZeroGradOptions = {}): void {
    const setToNone = options.setToNone ?? true;
    for (const p of this.parameters()) {
      const grad = p.grad;
      if (grad === null) continue;
      if (setToNone) {
        p.grad = null;
        grad.dispose();
      } else {
        noGrad(() => grad.zero_());
      }
    }
  }

  /**
   * Sets `requiresGrad` on every parameter (freezing with `false`). Returns the module.
   *
   * @example
   * ```ts
   * backbone.requiresGrad_(false);
   * ```
   */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad_(requiresGrad);
    return this;
  }

  /**
   * Calls `fn` on every descendant (children first) and then on this module, as
   * PyTorch's `apply` (custom initialisation). Returns the module.
   *
   * @example
   * ```ts
   * model.apply((m) => { if (m instanceof Linear) init.zeros_(m.bias!); });
   * ```
   */
  apply(fn: (module: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /**
   * Moves parameters and buffers to a device (`'cpu'`, `'cuda'`). Loom runs every
   * tensor of a process on its backend's device, so this checks that the device is
   * available (throwing a `BackendError` that says what to install otherwise) and
   * returns the module, as PyTorch's `model.to(device)` does.
   *
   * @example
   * ```ts
   * const device = cuda.isAvailable() ? 'cuda' : 'cpu';
   * const model = new NeuralNetwork().to(device);
   * ```
   */
  to(device: string): this {
    if ((DTYPES as readonly string[]).includes(device) && device !== 'float32') {
      throw new ArgumentError(`Module.to: cannot convert a module to ${device}: parameters are float32`, "pass a device ('cpu' or 'cuda')");
    }
    zeros([]).to(device);
    return this;
  }

  // ---- state --------------------------------------------------------------------

  /**
   * The parameters and persistent buffers by dotted name, in PyTorch's order and with
   * PyTorch's keys. Values are detached snapshots (or the tensors themselves with
   * `keepVars`); see state-dict.ts.
   *
   * @example
   * ```ts
   * save({ epoch, modelStateDict: model.stateDict() }, 'model.ckpt');
   * ```
   */
  stateDict(options: StateDictOptions = {}): StateDict {
    return stateDictOf(this, options);
  }

  /**
   * Copies a state dict's values into this module's parameters and buffers, in place
   * (optimizers keep working). With `strict` (the default), missing and unexpected
   * keys are refused; shape mismatches always are. All problems are listed in one
   * `StateDictError`, and nothing is copied unless everything fits.
   *
   * @example
   * ```ts
   * model.loadStateDict(load('model.ckpt').modelStateDict);
   * ```
   */
  loadStateDict(stateDict: StateDict | Map<string, Tensor>, options: LoadStateDictOptions = {}): IncompatibleKeys {
    return loadStateDictInto(this, stateDict, options);
  }

  /**
   * Adapts a state dict saved by an older version of a layer before it is loaded
   * (PyTorch's versioned `_load_from_state_dict`); `prefix` ends with a dot unless empty.
   */
  upgradeStateDict(_stateDict: Map<string, Tensor>, _prefix: string): void {}

  // ---- hooks --------------------------------------------------------------------

  /**
   * Registers `hook(module, inputs)` to run before each forward; it may return new
   * inputs. `handle.remove()` unregisters it.
   *
   * @example
   * ```ts
   * const h = model.registerForwardPreHook((_m, [x]) => [(x as Tensor).mul(2)]);
   * h.remove();
   * ```
   */
  registerForwardPreHook(hook: ForwardPreHook<this>): HookHandle {
    return addHook(registryOf(this).forwardPreHooks, hook);
  }

  /**
   * Registers `hook(module, inputs, output)` to run after each forward; it may return
   * a new output (activation capture, feature extraction).
   *
   * @example
   * ```ts
   * const features: Tensor[] = [];
   * model.linear_relu_stack.at(1).registerForwardHook((_m, _in, out) => { features.push((out as Tensor).keep()); });
   * ```
   */
  registerForwardHook(hook: ForwardHook<this>): HookHandle {
    return addHook(registryOf(this).forwardHooks, hook);
  }

  // ---- printing -----------------------------------------------------------------

  /** The layer's settings in its repr, as PyTorch's `extra_repr` (override in layers). */
  extraRepr(): string {
    return '';
  }

  /**
   * The module tree exactly as PyTorch prints it.
   *
   * @example
   * ```ts
   * String(new Linear(784, 512)); // 'Linear(in_features=784, out_features=512, bias=True)'
   * ```
   */
  toString(): string {
    return formatModule(this.constructor.name, this.extraRepr(), registryOf(this).modules);
  }

  /** `console.log(model)` shows the tree. */
  [inspect.custom](): string {
    return this.toString();
  }
}

// Modules are functions (see callable.ts): with Function.prototype in the chain,
// `model.call(thisArg, x)` and `model.bind(...)` work as their type says.
Object.setPrototypeOf(Module.prototype, Function.prototype);
