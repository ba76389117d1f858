/** `Dropout`: random zeroing in training mode, identity in evaluation mode. */
import { Tensor } from '@loom/tensor';
import { Module } from '../module/module';
import { pyFloat } from '../module/repr';
import { checkProbability } from '../functional/args';
import { dropout } from '../functional/dropout';

/** PyTorch's default dropout probability. */
export const DROPOUT_P = 0.5;

/**
 * Zeroes each element with probability `p` while training, scaling the others by
 * `1 / (1 - p)`; the identity after `eval()` (PyTorch's `nn.Dropout`). The mask comes
 * from the default generator, so after `manualSeed(s)` it is PyTorch's.
 *
 * @example
 * ```ts
 * const drop = new Dropout(0.2);
 * drop(x); drop.eval(); drop(x) === x;
 * ```
 */
export class Dropout extends Module {
  readonly p: number;

  constructor(p = DROPOUT_P) {
    super();
    this.p = checkProbability(p, 'Dropout');
  }

  override forward(input: Tensor): Tensor {
    return dropout(input, this.p, this.training);
  }

  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=False`;
  }
}
