/** `Flatten` and `Unflatten`: reshaping layers. */
import { ArgumentError, Tensor } from '@loom/tensor';
import { Module } from '../module/module';
import { pyTuple } from '../module/repr';

/**
 * Flattens dims `startDim..endDim` (PyTorch's `nn.Flatten`, whose defaults 1 and -1
 * keep the batch dim).
 *
 * @example
 * ```ts
 * new Flatten()(images); // [64,1,28,28] -> [64,784]
 * ```
 */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;

  constructor(startDim = 1, endDim = -1) {
    super();
    if (!Number.isInteger(startDim) || !Number.isInteger(endDim)) {
      throw new ArgumentError(`Flatten: startDim and endDim must be integers, got ${String(startDim)} and ${String(endDim)}`);
    }
    this.startDim = startDim;
    this.endDim = endDim;
  }

  override forward(input: Tensor): Tensor {
    return input.flatten(this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/**
 * Splits dim `dim` into `unflattenedSize` (PyTorch's `nn.Unflatten`).
 *
 * @example
 * ```ts
 * new Unflatten(1, [1, 28, 28])(x); // [64,784] -> [64,1,28,28]
 * ```
 */
export class Unflatten extends Module {
  readonly dim: number;
  readonly unflattenedSize: readonly number[];

  constructor(dim: number, unflattenedSize: readonly number[]) {
    super();
    if (!Number.isInteger(dim)) throw new ArgumentError(`Unflatten: dim must be an integer, got ${String(dim)}`);
    if (!Array.isArray(unflattenedSize) || unflattenedSize.length === 0 || unflattenedSize.some((d) => !Number.isInteger(d) || d < -1)) {
      throw new ArgumentError(`Unflatten: unflattenedSize must be a non-empty list of sizes, got ${JSON.stringify(unflattenedSize)}`);
    }
    this.dim = dim;
    this.unflattenedSize = [...unflattenedSize];
  }

  override forward(input: Tensor): Tensor {
    return input.unflatten(this.dim, this.unflattenedSize);
  }

  override extraRepr(): string {
    return `dim=${this.dim}, unflattened_size=${pyTuple(this.unflattenedSize)}`;
  }
}
