/** Activation layers: `ReLU`, `LeakyReLU`, `GELU`, `Sigmoid`, `Tanh`, `Softmax`, `LogSoftmax`. */
import { ArgumentError, Tensor } from '@loom/tensor';
import { Module } from '../module/module';
import { pyFloat, pyString } from '../module/repr';
import { gelu, implicitSoftmaxDim, leakyRelu, logSoftmax, relu, sigmoid, softmax, tanh } from '../functional/activation';
import { checkFinite } from '../functional/args';

/** PyTorch's default negative slope of `LeakyReLU`. */
export const LEAKY_RELU_SLOPE = 0.01;

/** `max(0, x)` (PyTorch's `nn.ReLU`). @example `new ReLU()(x)` */
export class ReLU extends Module {
  override forward(input: Tensor): Tensor {
    return relu(input);
  }
}

/** `x` for x > 0, else `negativeSlope * x` (PyTorch's `nn.LeakyReLU`). @example `new LeakyReLU(0.2)` */
export class LeakyReLU extends Module {
  readonly negativeSlope: number;

  constructor(negativeSlope = LEAKY_RELU_SLOPE) {
    super();
    this.negativeSlope = checkFinite(negativeSlope, 'LeakyReLU', 'negativeSlope');
  }

  override forward(input: Tensor): Tensor {
    return leakyRelu(input, this.negativeSlope);
  }

  override extraRepr(): string {
    return `negative_slope=${pyFloat(this.negativeSlope)}`;
  }
}

/** Options of {@link GELU}. */
export interface GELUOptions {
  /** `'none'` (exact, the default) or `'tanh'` (the tanh approximation). */
  approximate?: 'none' | 'tanh';
}

/** Gaussian error linear unit (PyTorch's `nn.GELU`). @example `new GELU({ approximate: 'tanh' })` */
export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';

  constructor(options: GELUOptions = {}) {
    super();
    const approximate = options.approximate ?? 'none';
    if (approximate !== 'none' && approximate !== 'tanh') {
      throw new ArgumentError(`GELU: approximate must be 'none' or 'tanh', got ${String(approximate)}`);
    }
    this.approximate = approximate;
  }

  override forward(input: Tensor): Tensor {
    return gelu(input, { approximate: this.approximate });
  }

  override extraRepr(): string {
    return `approximate=${pyString(this.approximate)}`;
  }
}

/** Logistic sigmoid (PyTorch's `nn.Sigmoid`). @example `new Sigmoid()(logits)` */
export class Sigmoid extends Module {
  override forward(input: Tensor): Tensor {
    return sigmoid(input);
  }
}

/** Hyperbolic tangent (PyTorch's `nn.Tanh`). @example `new Tanh()(x)` */
export class Tanh extends Module {
  override forward(input: Tensor): Tensor {
    return tanh(input);
  }
}

function checkDim(dim: number | null, layer: string): number | null {
  if (dim !== null && !Number.isInteger(dim)) throw new ArgumentError(`${layer}: dim must be an integer or null, got ${String(dim)}`);
  return dim;
}

/**
 * Softmax along `dim` (PyTorch's `nn.Softmax`). Without `dim`, PyTorch's deprecated
 * implicit choice applies (0 for 0-, 1- and 3-D inputs, else 1).
 *
 * @example
 * ```ts
 * new Softmax(1)(logits).sum(1); // ones
 * ```
 */
export class Softmax extends Module {
  readonly dim: number | null;

  constructor(dim: number | null = null) {
    super();
    this.dim = checkDim(dim, 'Softmax');
  }

  override forward(input: Tensor): Tensor {
    return softmax(input, this.dim ?? implicitSoftmaxDim(input.ndim));
  }

  override extraRepr(): string {
    return `dim=${this.dim ?? 'None'}`;
  }
}

/** Log of softmax along `dim` (PyTorch's `nn.LogSoftmax`). @example `new LogSoftmax(1)` */
export class LogSoftmax extends Module {
  readonly dim: number | null;

  constructor(dim: number | null = null) {
    super();
    this.dim = checkDim(dim, 'LogSoftmax');
  }

  override forward(input: Tensor): Tensor {
    return logSoftmax(input, this.dim ?? implicitSoftmaxDim(input.ndim));
  }

  override extraRepr(): string {
    return `dim=${this.dim ?? 'None'}`;
  }
}
