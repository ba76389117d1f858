/** Shape arithmetic shared by the ops: sizes, dims, broadcasting. */
import { ArgumentError, ShapeError, formatShape } from './errors';

/** Number of elements of a shape (1 for a scalar, 0 when a dim is 0). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Normalises a possibly negative dim as PyTorch does (`-1` is the last), checking the
 * range. A scalar accepts dims 0 and -1, as in PyTorch.
 */
export function normalizeDim(dim: number, rank: number, op: string, arg = 'dim'): number {
  const effective = Math.max(rank, 1);
  if (!Number.isInteger(dim) || dim < -effective || dim >= effective) {
    throw new ArgumentError(
      `${op}: ${arg} ${dim} is out of range for a tensor of rank ${rank}: expected an integer in [${-effective}, ${effective - 1}]`,
    );
  }
  return dim < 0 ? dim + effective : dim;
}

/** Normalises a list of dims (or all dims when `dims` is undefined). */
export function normalizeDims(dims: number | readonly number[] | undefined, rank: number, op: string): number[] {
  if (dims === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof dims === 'number' ? [dims] : [...dims];
  const out = list.map((d) => normalizeDim(d, rank, op));
  if (new Set(out).size !== out.length) {
    throw new ArgumentError(`${op}: dim ${JSON.stringify(list)} appears more than once`);
  }
  return rank === 0 ? [] : out;
}

/** The broadcast shape of two shapes under PyTorch's (numpy's) rules. */
export function broadcastShapes(a: readonly number[], b: readonly number[], op: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `${op}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast: dim ${i} is ${da} against ${db}`,
        'sizes must match or one of them must be 1 (align shapes from the right)',
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Checks that every entry is a non-negative integer, for shapes given by users. */
export function checkShape(shape: readonly number[], op: string, arg = 'size'): number[] {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ArgumentError(`${op}: ${arg} ${formatShape(shape)} has an invalid entry ${d}: expected non-negative integers`);
    }
  }
  return [...shape];
}

/**
 * Resolves a shape with at most one `-1` against a number of elements, as `view` and
 * `reshape` do.
 */
export function inferShape(shape: readonly number[], size: number, op: string, from: readonly number[]): number[] {
  let unknown = -1;
  let known = 1;
  shape.forEach((d, i) => {
    if (d === -1) {
      if (unknown !== -1) throw new ShapeError(`${op}: only one dimension can be inferred, got ${formatShape(shape)}`);
      unknown = i;
    } else if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${op}: invalid shape dimension ${d} in ${formatShape(shape)}`);
    } else {
      known *= d;
    }
  });
  const out = [...shape];
  if (unknown !== -1) {
    if (known === 0 || size % known !== 0) {
      throw new ShapeError(`${op}: shape ${formatShape(shape)} is invalid for input ${formatShape(from)} of size ${size}`);
    }
    out[unknown] = size / known;
  } else if (known !== size) {
    throw new ShapeError(`${op}: shape ${formatShape(shape)} is invalid for input ${formatShape(from)} of size ${size}`);
  }
  return out;
}

/** Whether two shapes are equal. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
