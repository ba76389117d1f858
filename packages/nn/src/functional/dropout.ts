/**
 * `dropout` as PyTorch 1.13 runs it on the CPU (`_dropout_impl`): a mask of
 * `bernoulli(1 - p)` draws from the generator, scaled by `1 / (1 - p)`, multiplied
 * into the input; so after `manualSeed(s)` the mask is PyTorch's for the same seed.
 */
import { Tensor, defaultGenerator, fromArray, type Generator } from '@loom/tensor';
import { checkProbability } from './args';

/** Options of {@link dropout}. */
export interface DropoutOptions {
  /** The generator of the mask (default: the one `manualSeed` seeds). */
  generator?: Generator;
}

/**
 * Zeroes each element with probability `p` and scales the rest by `1 / (1 - p)` when
 * `training`; returns the input unchanged otherwise (PyTorch's `F.dropout`).
 *
 * @example
 * ```ts
 * const h = dropout(x, 0.2, model.training);
 * ```
 */
export function dropout(input: Tensor, p = 0.5, training = true, options: DropoutOptions = {}): Tensor {
  checkProbability(p, 'dropout');
  if (p === 0 || !training || input.numel() === 0) return input;
  // p = 1 multiplies by a zero scalar and draws nothing, as PyTorch.
  if (p === 1) return input.mul(0);
  const keep = (options.generator ?? defaultGenerator).bernoulli(input.numel(), 1 - p);
  // PyTorch divides the float mask by (1 - p) in float32: Math.fround rounds once,
  // exactly as the float division does.
  const scale = Math.fround(1 / Math.fround(1 - p));
  const noise = new Float32Array(keep.length);
  for (let i = 0; i < keep.length; i++) noise[i] = keep[i] === 1 ? scale : 0;
  return input.mul(fromArray(noise, input.shape));
}
