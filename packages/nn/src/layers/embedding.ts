/** `Embedding`, over `functional`'s `embedding`. */
import { ArgumentError, Tensor, fromArray, noGrad, zeros } from '@loom/tensor';
import { Module } from '../module/module';
import { Parameter } from '../module/parameter';
import { checkInt } from '../functional/args';
import { embedding } from '../functional/embedding';
import { normal_ } from '../init/init';

/** Options of {@link Embedding}. */
export interface EmbeddingLayerOptions {
  /** A row that stays zero at initialisation and gets no gradient (negative counts from the end). */
  paddingIdx?: number | null;
}

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim` (PyTorch's
 * `nn.Embedding`), initialised from N(0, 1) as PyTorch's, the padding row zeroed.
 *
 * @example
 * ```ts
 * const emb = new Embedding(10000, 128, { paddingIdx: 0 });
 * emb(tokens); // [B, T] int32 -> [B, T, 128]
 * ```
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** The padding row, normalised to be non-negative (as PyTorch stores it), or null. */
  readonly paddingIdx: number | null;
  declare weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingLayerOptions = {}) {
    super();
    this.numEmbeddings = checkInt(numEmbeddings, 'Embedding', 'numEmbeddings', 0);
    this.embeddingDim = checkInt(embeddingDim, 'Embedding', 'embeddingDim', 0);
    const pad = options.paddingIdx ?? null;
    if (pad !== null && (!Number.isInteger(pad) || pad < -numEmbeddings || pad >= numEmbeddings)) {
      throw new ArgumentError(`Embedding: paddingIdx must be within numEmbeddings (${numEmbeddings}), got ${String(pad)}`);
    }
    this.paddingIdx = pad === null ? null : pad < 0 ? pad + numEmbeddings : pad;
    this.weight = new Parameter(zeros([numEmbeddings, embeddingDim]));
    this.resetParameters();
  }

  /** PyTorch's `reset_parameters`: N(0, 1), then the padding row zeroed. @example `emb.resetParameters()` */
  resetParameters(): void {
    normal_(this.weight);
    if (this.paddingIdx !== null) {
      const values = this.weight.data() as Float32Array;
      values.fill(0, this.paddingIdx * this.embeddingDim, (this.paddingIdx + 1) * this.embeddingDim);
      const weight = this.weight;
      noGrad(() => weight.copy_(fromArray(values, weight.shape)));
    }
  }

  override forward(input: Tensor): Tensor {
    return embedding(input, this.weight, { paddingIdx: this.paddingIdx });
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx === null ? '' : `, padding_idx=${this.paddingIdx}`}`;
  }
}
