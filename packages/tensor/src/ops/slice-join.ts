/**
 * Slicing and joining along a dim: `narrow cat stack split chunk` (re-exported by
 * shape-ops.ts with the other shape ops). Gradients slice or pad back.
 */
import * as tf from '@tensorflow/tfjs-core';
import { record } from '../autograd/record';
import { promoteTypes } from '../dtype';
import { ArgumentError, ShapeError, formatShape } from '../errors';
import { normalizeDim } from '../shape';
import type { Tensor } from '../tensor';
import { expectTensor } from './operand';

/**
 * The slice `start .. start+length` of dim `dim`.
 *
 * @example
 * ```ts
 * narrow(x, 0, 0, 32); // the first 32 rows
 * ```
 */
export function narrow(input: Tensor, dim: number, start: number, length: number): Tensor {
  const x = expectTensor(input, 'narrow');
  const d = normalizeDim(dim, x.ndim, 'narrow');
  const size = x.shape[d] as number;
  const s = start < 0 ? start + size : start;
  if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > size) {
    throw new ArgumentError(`narrow: start (${start}) + length (${length}) exceeds dimension size (${size}) of dim ${dim}`);
  }
  const begin = x.shape.map((_, i) => (i === d ? s : 0));
  const sizes = x.shape.map((n, i) => (i === d ? length : n));
  const inShape = [...x.shape];
  return record('narrow', tf.slice(x.value('narrow'), begin, sizes), [x], () => (g) => {
    const pad = inShape.map((n, i): [number, number] => (i === d ? [s, n - s - length] : [0, 0]));
    return [tf.pad(g, pad)];
  });
}

/** The tensors' values in their common dtype (PyTorch promotes: int and float make float). */
function promoted(tensors: readonly Tensor[], op: string): tf.Tensor[] {
  const dtype = tensors.map((x) => x.dtype).reduce(promoteTypes);
  return tensors.map((x) => (x.dtype === dtype ? x.value(op) : tf.cast(x.value(op), dtype)));
}

function checkSameShapes(op: string, tensors: readonly Tensor[], skip: number | null): void {
  const first = tensors[0] as Tensor;
  tensors.forEach((x, i) => {
    if (x.ndim !== first.ndim || x.shape.some((n, j) => j !== skip && n !== first.shape[j])) {
      throw new ShapeError(
        `${op}: sizes of tensors must match${skip === null ? '' : ` except in dimension ${skip}`}: tensor 0 is ${formatShape(first.shape)}, tensor ${i} is ${formatShape(x.shape)}`,
      );
    }
  });
}

/**
 * Concatenates along an existing dim.
 *
 * @example
 * ```ts
 * cat([a, b], 0);
 * ```
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ArgumentError('cat: expected a non-empty list of Tensors');
  tensors.forEach((x, i) => expectTensor(x, 'cat', `tensors[${i}]`));
  const d = normalizeDim(dim, (tensors[0] as Tensor).ndim, 'cat');
  checkSameShapes('cat', tensors, d);
  const sizes = tensors.map((x) => x.shape[d] as number);
  const value = tf.tidy(() => tf.concat(promoted(tensors, 'cat'), d));
  return record('cat', value, tensors, () => (g) => tf.split(g, sizes, d));
}

/**
 * Stacks equally-shaped tensors along a new dim.
 *
 * @example
 * ```ts
 * stack([a, b]); // shape [2, ...a.shape]
 * ```
 */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ArgumentError('stack: expected a non-empty list of Tensors');
  tensors.forEach((x, i) => expectTensor(x, 'stack', `tensors[${i}]`));
  checkSameShapes('stack', tensors, null);
  const d = normalizeDim(dim, (tensors[0] as Tensor).ndim + 1, 'stack');
  const value = tf.tidy(() => tf.stack(promoted(tensors, 'stack'), d));
  return record('stack', value, tensors, () => (g) => tf.unstack(g, d));
}

/**
 * Splits into pieces of `splitSize` (or of the listed sizes) along `dim`.
 *
 * @example
 * ```ts
 * const [a, b] = split(x, 2, 0);
 * ```
 */
export function split(input: Tensor, splitSize: number | readonly number[], dim = 0): Tensor[] {
  const x = expectTensor(input, 'split');
  const d = normalizeDim(dim, x.ndim, 'split');
  const size = x.shape[d] as number;
  let sizes: number[];
  if (typeof splitSize === 'number') {
    if (!Number.isInteger(splitSize) || splitSize <= 0) throw new ArgumentError(`split: splitSize must be a positive integer, got ${splitSize}`);
    // An empty dim still gives one (empty) piece, as in PyTorch.
    sizes = size === 0 ? [0] : [];
    for (let s = 0; s < size; s += splitSize) sizes.push(Math.min(splitSize, size - s));
  } else {
    sizes = [...splitSize];
    if (sizes.reduce((a, b) => a + b, 0) !== size) {
      throw new ShapeError(`split: split sizes ${formatShape(sizes)} do not sum to the size ${size} of dim ${dim}`);
    }
  }
  let offset = 0;
  return sizes.map((n) => {
    const piece = narrow(x, d, offset, n);
    offset += n;
    return piece;
  });
}

/** Splits into `chunks` nearly equal pieces along `dim`. @example `chunk(x, 2, 1)` */
export function chunk(input: Tensor, chunks: number, dim = 0): Tensor[] {
  const x = expectTensor(input, 'chunk');
  const d = normalizeDim(dim, x.ndim, 'chunk');
  if (!Number.isInteger(chunks) || chunks <= 0) throw new ArgumentError(`chunk: chunks must be a positive integer, got ${chunks}`);
  const size = x.shape[d] as number;
  // PyTorch splits an empty dim into `chunks` empty pieces.
  if (size === 0) return split(x, new Array<number>(chunks).fill(0), d);
  return split(x, Math.ceil(size / chunks), d);
}

