/** `MaxPool2d`, `AvgPool2d` and `AdaptiveAvgPool2d`, over `functional`'s pooling. */
import { Tensor } from '@loom/tensor';
import { Module } from '../module/module';
import { pyBool, pyIntOrTuple } from '../module/repr';
import { expandSize, type SizeN } from '../functional/args';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d, type AdaptiveSize, type AvgPool2dOptions, type MaxPool2dOptions } from '../functional/pooling';

/**
 * Max over windows (PyTorch's `nn.MaxPool2d`); `stride` defaults to `kernelSize`.
 *
 * @example
 * ```ts
 * new MaxPool2d(2)(x); // [64,32,26,26] -> [64,32,13,13]
 * ```
 */
export class MaxPool2d extends Module {
  readonly kernelSize: SizeN;
  readonly stride: SizeN;
  readonly padding: SizeN;
  readonly dilation: SizeN;
  readonly ceilMode: boolean;

  constructor(kernelSize: SizeN, options: MaxPool2dOptions = {}) {
    super();
    expandSize(kernelSize, 2, 'MaxPool2d', 'kernelSize');
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
    this.ceilMode = options.ceilMode ?? false;
  }

  override forward(input: Tensor): Tensor {
    return maxPool2d(input, this.kernelSize, { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode });
  }

  override extraRepr(): string {
    return (
      `kernel_size=${pyIntOrTuple(this.kernelSize)}, stride=${pyIntOrTuple(this.stride)}, padding=${pyIntOrTuple(this.padding)}, ` +
      `dilation=${pyIntOrTuple(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`
    );
  }
}

/**
 * Mean over windows (PyTorch's `nn.AvgPool2d`); `stride` defaults to `kernelSize`.
 *
 * @example
 * ```ts
 * new AvgPool2d(2)(x);
 * ```
 */
export class AvgPool2d extends Module {
  readonly kernelSize: SizeN;
  readonly stride: SizeN;
  readonly padding: SizeN;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;

  constructor(kernelSize: SizeN, options: AvgPool2dOptions = {}) {
    super();
    expandSize(kernelSize, 2, 'AvgPool2d', 'kernelSize');
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.ceilMode = options.ceilMode ?? false;
    this.countIncludePad = options.countIncludePad ?? true;
    this.divisorOverride = options.divisorOverride ?? null;
  }

  override forward(input: Tensor): Tensor {
    return avgPool2d(input, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
    });
  }

  override extraRepr(): string {
    return `kernel_size=${pyIntOrTuple(this.kernelSize)}, stride=${pyIntOrTuple(this.stride)}, padding=${pyIntOrTuple(this.padding)}`;
  }
}

/**
 * Mean over windows that give an output of `outputSize` (PyTorch's
 * `nn.AdaptiveAvgPool2d`); `null` keeps that dim's input size.
 *
 * @example
 * ```ts
 * new AdaptiveAvgPool2d([1, 1])(features); // [N, C, 1, 1]
 * ```
 */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: AdaptiveSize;

  constructor(outputSize: AdaptiveSize) {
    super();
    this.outputSize = outputSize;
  }

  override forward(input: Tensor): Tensor {
    return adaptiveAvgPool2d(input, this.outputSize);
  }

  override extraRepr(): string {
    const size = this.outputSize;
    return `output_size=${typeof size === 'number' ? size : `(${size.map((s) => s ?? 'None').join(', ')})`}`;
  }
}
