/**
 * `Parameter`: a tensor that a module trains. As PyTorch's `nn.Parameter`, it is a
 * leaf that requires grad, and assigning one to a module property registers it.
 *
 * A Loom parameter is an ordinary `Tensor` (every op and method works on it) that is
 * kept alive across scopes (`keep()`) and remembered in a registry, so that
 * `x instanceof Parameter` holds for it and for no other tensor.
 */
import { ArgumentError, Tensor, fromArray } from '@loom/tensor';

/** Identity of every parameter ever made; weak, so dropped parameters are collected. */
const PARAMETERS = new WeakSet<Tensor>();

declare const PARAMETER_BRAND: unique symbol;

/**
 * The type of a parameter: a `Tensor` that went through `new Parameter(...)`. The
 * brand exists for the type checker only, so that `this.weight = randn([3])` is a
 * type error as it is a `TypeError` in PyTorch.
 */
export type Parameter = Tensor & { readonly [PARAMETER_BRAND]: true };

/** The `Parameter` constructor, with `instanceof` support. */
export interface ParameterConstructor {
  /**
   * A new parameter holding `data`'s values (PyTorch's `nn.Parameter(data, requires_grad)`).
   * The result is a new tensor: `data` itself is left as it was. Host values (a
   * tensor just made by `zeros` or `randn`) are copied; values on the backend are
   * shared until one side is updated in place.
   */
  new (data: Tensor, requiresGrad?: boolean): Parameter;
  /** Whether `value` was made by `new Parameter(...)`. */
  [Symbol.hasInstance](value: unknown): value is Parameter;
}

function makeParameter(data: Tensor, requiresGrad = true): Parameter {
  if (!(data instanceof Tensor)) {
    throw new ArgumentError(`Parameter: data must be a Tensor, got ${data === null ? 'null' : typeof data}`);
  }
  if (typeof requiresGrad !== 'boolean') {
    throw new ArgumentError(`Parameter: requiresGrad must be a boolean, got ${String(requiresGrad)}`);
  }
  const host = data.hostView();
  // Host values are copied (no backend needed, so models can be built before ready());
  // detach() shares the kernel value, and Loom's in-place updates replace a tensor's
  // storage, so the two never see each other's later updates.
  const t = host !== null ? fromArray(host, data.shape, { dtype: data.dtype }) : data.detach();
  if (requiresGrad) t.requiresGrad_(true);
  t.keep();
  PARAMETERS.add(t);
  return t as Parameter;
}

/**
 * Makes a parameter: a kept leaf tensor that requires grad, registered by the module
 * it is assigned to (PyTorch's `nn.Parameter`).
 *
 * @example
 * ```ts
 * class Scale extends Module {
 *   factor = new Parameter(ones([1]));
 *   override forward(x: Tensor): Tensor { return x.mul(this.factor); }
 * }
 * new Scale().factor instanceof Parameter; // true
 * ```
 */
export const Parameter = function Parameter(data: Tensor, requiresGrad?: boolean): Parameter {
  return makeParameter(data, requiresGrad);
} as unknown as ParameterConstructor;

Object.defineProperty(Parameter, Symbol.hasInstance, {
  value: (value: unknown): boolean => value instanceof Tensor && PARAMETERS.has(value),
});

/**
 * Whether `value` is a parameter (the same test as `value instanceof Parameter`).
 *
 * @example
 * ```ts
 * isParameter(model.linear_relu_stack.at(0).weight); // true
 * ```
 */
export function isParameter(value: unknown): value is Parameter {
  return value instanceof Tensor && PARAMETERS.has(value);
}
