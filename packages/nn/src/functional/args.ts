/** Argument checks shared by the functional ops and layers: sizes, pairs, probabilities. */
import { ArgumentError } from '@loom/tensor';

/** A size for each spatial dim, or one for all (PyTorch's `_pair`, `_single`). */
export type SizeN = number | readonly number[];

/**
 * Expands `value` to `n` integers (PyTorch's `_ntuple`), checking each is an integer
 * at least `min`.
 */
export function expandSize(value: SizeN, n: number, op: string, arg: string, min = 1): number[] {
  const values = typeof value === 'number' ? new Array<number>(n).fill(value) : [...value];
  if (values.length !== n || values.some((v) => !Number.isInteger(v) || v < min)) {
    throw new ArgumentError(
      `${op}: ${arg} must be an integer >= ${min} or ${n} of them, got ${JSON.stringify(value)}`,
    );
  }
  return values;
}

/** Checks an integer argument (`groups`, `numFeatures`, ...). */
export function checkInt(value: number, op: string, arg: string, min = 1): number {
  if (!Number.isInteger(value) || value < min) {
    throw new ArgumentError(`${op}: ${arg} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/** Checks a probability in [0, 1] (dropout's `p`). */
export function checkProbability(p: number, op: string): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
    throw new ArgumentError(`${op}: dropout probability has to be between 0 and 1, but got ${String(p)}`);
  }
  return p;
}

/** Checks a finite number (eps, momentum, slopes). */
export function checkFinite(value: number, op: string, arg: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ArgumentError(`${op}: ${arg} must be a finite number, got ${String(value)}`);
  }
  return value;
}


/** A size list expanded for 2-D kernels, as the tensor kernels' `[h, w]` pair. */
export function asPair(size: readonly number[]): [number, number] {
  return [size[0] as number, size[1] as number];
}
