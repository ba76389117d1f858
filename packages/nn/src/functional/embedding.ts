/** `embedding`: rows of a table looked up by integer indices. */
import { ArgumentError, DTypeError, ShapeError, Tensor, where } from '@loom/tensor';

/** Options of {@link embedding}. */
export interface EmbeddingOptions {
  /** Rows looked up at this index get no gradient (PyTorch's `padding_idx`). */
  paddingIdx?: number | null;
}

/**
 * The rows of `weight` (`[num, dim]`) at the int32 `input` indices, giving
 * `[...input.shape, dim]` (PyTorch's `F.embedding`). Lookups of `paddingIdx`
 * contribute no gradient to that row.
 *
 * @example
 * ```ts
 * embedding(tokens, table, { paddingIdx: 0 }); // [B, T] -> [B, T, D]
 * ```
 */
export function embedding(input: Tensor, weight: Tensor, options: EmbeddingOptions = {}): Tensor {
  if (input.dtype !== 'int32') {
    throw new DTypeError(`embedding: expected input to be int32 indices (PyTorch's int64), got ${input.dtype} [${input.shape.join(',')}]`, 'convert it with .int()');
  }
  if (weight.ndim !== 2) throw new ShapeError(`embedding: weight must be 2-D [numEmbeddings, embeddingDim], got [${weight.shape.join(',')}]`);
  const [num, dim] = weight.shape as [number, number];
  const flat = input.reshape([-1]);
  let rows = weight.indexSelect(0, flat);
  const paddingIdx = options.paddingIdx ?? null;
  if (paddingIdx !== null) {
    if (!Number.isInteger(paddingIdx) || paddingIdx < -num || paddingIdx >= num) {
      throw new ArgumentError(`embedding: paddingIdx ${paddingIdx} must be within numEmbeddings (${num})`);
    }
    const pad = paddingIdx < 0 ? paddingIdx + num : paddingIdx;
    // Same values either way; only the non-padding branch is connected to the graph.
    if (weight.requiresGrad) rows = where(flat.ne(pad).unsqueeze(1), rows, weight.detach().indexSelect(0, flat));
  }
  return rows.reshape([...input.shape, dim]);
}
