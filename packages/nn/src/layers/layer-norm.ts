/** `LayerNorm`, over `functional`'s `layerNorm`. */
import { Tensor, ones, zeros } from '@loom/tensor';
import { Module } from '../module/module';
import { Parameter } from '../module/parameter';
import { pyBool, pyFloat, pyTuple } from '../module/repr';
import { checkFinite, expandSize } from '../functional/args';
import { NORM_EPS, layerNorm } from '../functional/normalization';

/** Options of {@link LayerNorm} (PyTorch's defaults). */
export interface LayerNormLayerOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learn an elementwise scale and shift (default true). */
  elementwiseAffine?: boolean;
}

/**
 * Normalises each row over the trailing dims `normalizedShape` (PyTorch's
 * `nn.LayerNorm`); weight starts at 1, bias at 0.
 *
 * @example
 * ```ts
 * new LayerNorm(512)(x); // x is [..., 512]
 * ```
 */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  declare weight: Parameter | null;
  declare bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormLayerOptions = {}) {
    super();
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.normalizedShape = expandSize(shape, shape.length, 'LayerNorm', 'normalizedShape');
    this.eps = checkFinite(options.eps ?? NORM_EPS, 'LayerNorm', 'eps');
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    this.registerParameter('weight', this.elementwiseAffine ? new Parameter(ones(this.normalizedShape)) : null);
    this.registerParameter('bias', this.elementwiseAffine ? new Parameter(zeros(this.normalizedShape)) : null);
  }

  override forward(input: Tensor): Tensor {
    return layerNorm(input, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override extraRepr(): string {
    return `${pyTuple(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}
