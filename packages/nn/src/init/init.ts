/**
 * `init`: PyTorch 1.13's `torch.nn.init`. Each function fills a tensor in place
 * (under `noGrad`) and returns it, drawing from `@loom/tensor`'s default generator
 * unless given another, so that after `manualSeed(s)` it gives PyTorch's values for
 * the same seed bit for bit. Bounds and standard deviations are computed in double
 * precision with the same operations in the same order as PyTorch's Python code.
 */
import { ArgumentError, ShapeError, Tensor, defaultGenerator, noGrad, type Generator } from '@loom/tensor';

/** The nonlinearities `calculateGain` knows (PyTorch's names). */
export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';

/** Which fan Kaiming initialisation preserves: the forward pass's or the backward pass's. */
export type FanMode = 'fan_in' | 'fan_out';

/** Options shared by the random initialisers. */
export interface InitOptions {
  /** The generator to draw from (default: the one `manualSeed` seeds). */
  generator?: Generator;
}

/** Options of the Kaiming initialisers. */
export interface KaimingOptions extends InitOptions {
  /** The negative slope of the rectifier after this layer (`leaky_relu` only); default 0. */
  a?: number;
  /** Default `'fan_in'`. */
  mode?: FanMode;
  /** Default `'leaky_relu'`, as PyTorch. */
  nonlinearity?: Nonlinearity;
}

/** Options of the Xavier initialisers. */
export interface XavierOptions extends InitOptions {
  /** Scaling factor (default 1). */
  gain?: number;
}

const LINEAR_GAIN = new Set(['linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d', 'sigmoid']);
/** PyTorch's gain for tanh. */
const TANH_GAIN = 5.0 / 3;
/** PyTorch's gain for SELU (from the self-normalising networks paper's recommendation). */
const SELU_GAIN = 3.0 / 4;
/** `leaky_relu`'s negative slope when `calculateGain` is given none (nn.LeakyReLU's default). */
const DEFAULT_LEAKY_SLOPE = 0.01;

/**
 * The recommended gain for a nonlinearity (PyTorch's `calculate_gain`): 1 for linear
 * and sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for
 * leaky_relu, 3/4 for selu.
 *
 * @example
 * ```ts
 * calculateGain('leaky_relu', Math.sqrt(5)); // what Linear's default init uses
 * ```
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  if (LINEAR_GAIN.has(nonlinearity)) return 1;
  if (nonlinearity === 'tanh') return TANH_GAIN;
  if (nonlinearity === 'relu') return Math.sqrt(2.0);
  if (nonlinearity === 'leaky_relu') {
    const slope = param ?? DEFAULT_LEAKY_SLOPE;
    if (typeof slope !== 'number' || !Number.isFinite(slope)) {
      throw new ArgumentError(`calculateGain: negative_slope ${String(param)} not a valid number`);
    }
    // Python's `negative_slope ** 2` is pow(x, 2), exactly x * x.
    return Math.sqrt(2.0 / (1 + slope * slope));
  }
  if (nonlinearity === 'selu') return SELU_GAIN;
  throw new ArgumentError(`calculateGain: unsupported nonlinearity ${String(nonlinearity)}`, `expected one of ${[...LINEAR_GAIN, 'tanh', 'relu', 'leaky_relu', 'selu'].join(', ')}`);
}

/**
 * `[fanIn, fanOut]` of a weight (PyTorch's `_calculate_fan_in_and_fan_out`): dim 1 and
 * dim 0 times the receptive field (the product of the dims after the second).
 *
 * @example
 * ```ts
 * calculateFanInAndFanOut(conv.weight); // [inChannels/groups * kh * kw, outChannels * kh * kw]
 * ```
 */
export function calculateFanInAndFanOut(tensor: Tensor): [number, number] {
  if (tensor.ndim < 2) {
    throw new ShapeError(`Fan in and fan out can not be computed for tensor with fewer than 2 dimensions, got shape [${tensor.shape.join(',')}]`);
  }
  const receptive = tensor.shape.slice(2).reduce((a, b) => a * b, 1);
  return [(tensor.shape[1] as number) * receptive, (tensor.shape[0] as number) * receptive];
}

function correctFan(tensor: Tensor, mode: FanMode): number {
  if (mode !== 'fan_in' && mode !== 'fan_out') throw new ArgumentError(`kaiming: mode ${String(mode)} not supported, please use one of fan_in, fan_out`);
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  return mode === 'fan_in' ? fanIn : fanOut;
}

function expectTensor(tensor: unknown, op: string): Tensor {
  if (!(tensor instanceof Tensor)) throw new ArgumentError(`${op}: tensor must be a Tensor, got ${tensor === null ? 'null' : typeof tensor}`);
  return tensor;
}

/**
 * Fills with values uniform on `[a, b)` (PyTorch's `nn.init.uniform_`).
 *
 * @example
 * ```ts
 * init.uniform_(layer.weight, -0.1, 0.1);
 * ```
 */
export function uniform_(tensor: Tensor, a = 0, b = 1, options: InitOptions = {}): Tensor {
  const t = expectTensor(tensor, 'uniform_');
  return noGrad(() => t.uniform_(a, b, options.generator ?? defaultGenerator));
}

/**
 * Fills with values from N(mean, std^2) (PyTorch's `nn.init.normal_`).
 *
 * @example
 * ```ts
 * init.normal_(embedding.weight, 0, 0.02);
 * ```
 */
export function normal_(tensor: Tensor, mean = 0, std = 1, options: InitOptions = {}): Tensor {
  const t = expectTensor(tensor, 'normal_');
  return noGrad(() => t.normal_(mean, std, options.generator ?? defaultGenerator));
}

/** Fills with `value`. @example `init.constant_(bias, 0.1)` */
export function constant_(tensor: Tensor, value: number): Tensor {
  const t = expectTensor(tensor, 'constant_');
  return noGrad(() => t.fill_(value));
}

/** Fills with 1. @example `init.ones_(norm.weight)` */
export function ones_(tensor: Tensor): Tensor {
  return constant_(tensor, 1);
}

/** Fills with 0. @example `init.zeros_(linear.bias!)` */
export function zeros_(tensor: Tensor): Tensor {
  const t = expectTensor(tensor, 'zeros_');
  return noGrad(() => t.zero_());
}

/**
 * Xavier (Glorot) uniform: U(-a, a) with a = gain * sqrt(6 / (fanIn + fanOut)).
 *
 * @example
 * ```ts
 * init.xavierUniform_(layer.weight, { gain: init.calculateGain('tanh') });
 * ```
 */
export function xavierUniform_(tensor: Tensor, options: XavierOptions = {}): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(expectTensor(tensor, 'xavierUniform_'));
  const std = (options.gain ?? 1.0) * Math.sqrt(2.0 / (fanIn + fanOut));
  const a = Math.sqrt(3.0) * std;
  return uniform_(tensor, -a, a, options);
}

/**
 * Xavier (Glorot) normal: N(0, std^2) with std = gain * sqrt(2 / (fanIn + fanOut)).
 *
 * @example
 * ```ts
 * init.xavierNormal_(layer.weight);
 * ```
 */
export function xavierNormal_(tensor: Tensor, options: XavierOptions = {}): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(expectTensor(tensor, 'xavierNormal_'));
  const std = (options.gain ?? 1.0) * Math.sqrt(2.0 / (fanIn + fanOut));
  return normal_(tensor, 0, std, options);
}

/**
 * Kaiming (He) uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan). With
 * `a: Math.sqrt(5)` this is the default initialisation of `Linear` and `Conv` weights.
 *
 * @example
 * ```ts
 * init.kaimingUniform_(conv.weight, { mode: 'fan_out', nonlinearity: 'relu' });
 * ```
 */
export function kaimingUniform_(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  const t = expectTensor(tensor, 'kaimingUniform_');
  // PyTorch warns and leaves a zero-element tensor alone.
  if (t.shape.includes(0)) return t;
  const fan = correctFan(t, options.mode ?? 'fan_in');
  const gain = calculateGain(options.nonlinearity ?? 'leaky_relu', options.a ?? 0);
  const std = gain / Math.sqrt(fan);
  const bound = Math.sqrt(3.0) * std;
  return uniform_(t, -bound, bound, options);
}

/**
 * Kaiming (He) normal: N(0, std^2) with std = gain / sqrt(fan).
 *
 * @example
 * ```ts
 * init.kaimingNormal_(conv.weight, { mode: 'fan_out', nonlinearity: 'relu' });
 * ```
 */
export function kaimingNormal_(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  const t = expectTensor(tensor, 'kaimingNormal_');
  if (t.shape.includes(0)) return t;
  const fan = correctFan(t, options.mode ?? 'fan_in');
  const gain = calculateGain(options.nonlinearity ?? 'leaky_relu', options.a ?? 0);
  return normal_(t, 0, gain / Math.sqrt(fan), options);
}
