/** `Linear`, `Bilinear` and `Identity`, over `functional`'s `linear` and `bilinear`. */
import { Tensor, zeros } from '@loom/tensor';
import { Module } from '../module/module';
import { Parameter } from '../module/parameter';
import { pyBool } from '../module/repr';
import { bilinear, linear } from '../functional/linear';
import { checkInt } from '../functional/args';
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from '../init/init';

/**
 * The negative slope `a` PyTorch passes to `kaiming_uniform_` for `Linear` and `Conv`
 * weights, which makes the bound 1/sqrt(fan_in) (`reset_parameters` in linear.py, conv.py).
 */
export const DEFAULT_KAIMING_A = Math.sqrt(5);

/** Options of {@link Linear} and {@link Bilinear}. */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

/**
 * Initialises a weight as PyTorch's `Linear`/`Conv` `reset_parameters`: Kaiming
 * uniform with a = sqrt(5), then the bias uniform in ±1/sqrt(fan_in).
 */
export function resetLinearLike(weight: Tensor, bias: Tensor | null): void {
  kaimingUniform_(weight, { a: DEFAULT_KAIMING_A });
  if (bias !== null) {
    const [fanIn] = calculateFanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound);
  }
}

/**
 * `y = x W^T + b` (PyTorch's `nn.Linear`): weight `[out, in]`, bias `[out]`,
 * initialised as PyTorch's (so `manualSeed(s)` gives PyTorch's weights).
 *
 * @example
 * ```ts
 * const fc = new Linear(784, 512);
 * fc(x); // [64,784] -> [64,512]
 * ```
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  declare weight: Parameter;
  declare bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    this.inFeatures = checkInt(inFeatures, 'Linear', 'inFeatures', 0);
    this.outFeatures = checkInt(outFeatures, 'Linear', 'outFeatures', 0);
    this.weight = new Parameter(zeros([outFeatures, inFeatures]));
    this.registerParameter('bias', (options.bias ?? true) ? new Parameter(zeros([outFeatures])) : null);
    this.resetParameters();
  }

  /** Draws fresh initial values, as at construction. @example `fc.resetParameters()` */
  resetParameters(): void {
    resetLinearLike(this.weight, this.bias);
  }

  override forward(input: Tensor): Tensor {
    return linear(input, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}

/**
 * `y = x1^T A x2 + b` (PyTorch's `nn.Bilinear`): weight `[out, in1, in2]`, values
 * uniform in ±1/sqrt(in1) as PyTorch's.
 *
 * @example
 * ```ts
 * const bl = new Bilinear(3, 4, 5);
 * bl(a, b); // [8,3], [8,4] -> [8,5]
 * ```
 */
export class Bilinear extends Module {
  readonly in1Features: number;
  readonly in2Features: number;
  readonly outFeatures: number;
  declare weight: Parameter;
  declare bias: Parameter | null;

  constructor(in1Features: number, in2Features: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    this.in1Features = checkInt(in1Features, 'Bilinear', 'in1Features', 0);
    this.in2Features = checkInt(in2Features, 'Bilinear', 'in2Features', 0);
    this.outFeatures = checkInt(outFeatures, 'Bilinear', 'outFeatures', 0);
    this.weight = new Parameter(zeros([outFeatures, in1Features, in2Features]));
    this.registerParameter('bias', (options.bias ?? true) ? new Parameter(zeros([outFeatures])) : null);
    this.resetParameters();
  }

  /** PyTorch's `reset_parameters`: weight, then bias, uniform in ±1/sqrt(in1). @example `bl.resetParameters()` */
  resetParameters(): void {
    const bound = 1 / Math.sqrt(this.weight.shape[1] as number);
    uniform_(this.weight, -bound, bound);
    if (this.bias !== null) uniform_(this.bias, -bound, bound);
  }

  override forward(input1: Tensor, input2: Tensor): Tensor {
    return bilinear(input1, input2, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in1_features=${this.in1Features}, in2_features=${this.in2Features}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}

/**
 * Returns its input (PyTorch's `nn.Identity`), a placeholder that keeps a model's
 * structure when a layer is removed.
 *
 * @example
 * ```ts
 * model.head = new Identity();
 * ```
 */
export class Identity extends Module {
  override forward(input: Tensor): Tensor {
    return input;
  }
}
