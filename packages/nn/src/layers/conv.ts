/** `Conv1d` and `Conv2d` (PyTorch's `_ConvNd` family), over `functional`'s `conv1d`/`conv2d`. */
import { ArgumentError, Tensor, zeros } from '@loom/tensor';
import { Module } from '../module/module';
import { Parameter } from '../module/parameter';
import { pyTuple } from '../module/repr';
import { checkInt, expandSize, type SizeN } from '../functional/args';
import { conv1d, conv2d, type Padding } from '../functional/conv';
import { resetLinearLike } from './linear';

/** Options of {@link Conv1d} and {@link Conv2d} (PyTorch's defaults). */
export interface ConvLayerOptions {
  /** Default 1. */
  stride?: SizeN;
  /** Sizes, or `'same'` / `'valid'` (default 0). */
  padding?: Padding;
  /** Default 1. */
  dilation?: SizeN;
  /** Default 1. */
  groups?: number;
  /** Default true. */
  bias?: boolean;
  /** Only `'zeros'` (PyTorch's default) is supported. */
  paddingMode?: 'zeros';
}

/** What `Conv1d` and `Conv2d` share: arguments, parameters, initialisation, repr. */
abstract class ConvNd extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | 'same' | 'valid';
  readonly dilation: number[];
  readonly groups: number;
  readonly paddingMode = 'zeros';
  declare weight: Parameter;
  declare bias: Parameter | null;

  protected constructor(layer: string, dims: number, inChannels: number, outChannels: number, kernelSize: SizeN, options: ConvLayerOptions) {
    super();
    this.inChannels = checkInt(inChannels, layer, 'inChannels');
    this.outChannels = checkInt(outChannels, layer, 'outChannels');
    this.groups = checkInt(options.groups ?? 1, layer, 'groups');
    if (inChannels % this.groups !== 0) throw new ArgumentError(`${layer}: in_channels must be divisible by groups, got ${inChannels} and groups=${this.groups}`);
    if (outChannels % this.groups !== 0) throw new ArgumentError(`${layer}: out_channels must be divisible by groups, got ${outChannels} and groups=${this.groups}`);
    this.kernelSize = expandSize(kernelSize, dims, layer, 'kernelSize');
    this.stride = expandSize(options.stride ?? 1, dims, layer, 'stride');
    this.dilation = expandSize(options.dilation ?? 1, dims, layer, 'dilation');
    const padding = options.padding ?? 0;
    if (padding === 'same' || padding === 'valid') {
      if (padding === 'same' && this.stride.some((s) => s !== 1)) throw new ArgumentError(`${layer}: padding='same' is not supported for strided convolutions`);
      this.padding = padding;
    } else if (typeof padding === 'string') {
      throw new ArgumentError(`${layer}: invalid padding string '${padding}', should be one of 'valid', 'same'`);
    } else {
      this.padding = expandSize(padding, dims, layer, 'padding', 0);
    }
    const mode = options.paddingMode ?? 'zeros';
    if (mode !== 'zeros') throw new ArgumentError(`${layer}: paddingMode '${String(mode)}' is not supported`, "only 'zeros' (PyTorch's default) is implemented");
    this.weight = new Parameter(zeros([outChannels, inChannels / this.groups, ...this.kernelSize]));
    this.registerParameter('bias', (options.bias ?? true) ? new Parameter(zeros([outChannels])) : null);
    this.resetParameters();
  }

  /** PyTorch's `reset_parameters`: Kaiming uniform with a = sqrt(5), bias in ±1/sqrt(fan_in). @example `conv.resetParameters()` */
  resetParameters(): void {
    resetLinearLike(this.weight, this.bias);
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}`;
    if (typeof this.padding === 'string') s += `, padding=${this.padding}`;
    else if (this.padding.some((p) => p !== 0)) s += `, padding=${pyTuple(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${pyTuple(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=False';
    return s;
  }
}

/**
 * 1-D convolution over `[N, C, L]` (PyTorch's `nn.Conv1d`).
 *
 * @example
 * ```ts
 * new Conv1d(2, 4, 3, { padding: 1 })(x); // [8,2,16] -> [8,4,16]
 * ```
 */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: SizeN, options: ConvLayerOptions = {}) {
    super('Conv1d', 1, inChannels, outChannels, kernelSize, options);
  }

  override forward(input: Tensor): Tensor {
    return conv1d(input, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}

/**
 * 2-D convolution over `[N, C, H, W]` (PyTorch's `nn.Conv2d`).
 *
 * @example
 * ```ts
 * new Conv2d(1, 32, 3)(images); // [64,1,28,28] -> [64,32,26,26]
 * ```
 */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: SizeN, options: ConvLayerOptions = {}) {
    super('Conv2d', 2, inChannels, outChannels, kernelSize, options);
  }

  override forward(input: Tensor): Tensor {
    return conv2d(input, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}
