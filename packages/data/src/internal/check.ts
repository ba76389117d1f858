/** Argument checks shared by datasets and samplers, with PyTorch's wording where it has one. */
import { ArgumentError } from '@loom/tensor';

/** Checks that `index` is an integer in [0, length). @internal */
export function checkIndex(where: string, index: number, length: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new ArgumentError(
      `${where}: index ${String(index)} is out of range for ${length} samples: expected an integer in [0, ${length - 1}]`,
    );
  }
}

/** Checks a positive integer option (`batchSize`, `numSamples`), in PyTorch's words. @internal */
export function checkPositiveInteger(where: string, name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ArgumentError(`${where}: ${name} should be a positive integer value, but got ${name}=${String(value)}`);
  }
}

/** Checks a boolean option (`replacement`, `dropLast`), in PyTorch's words. @internal */
export function checkBoolean(where: string, name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') {
    throw new ArgumentError(`${where}: ${name} should be a boolean value, but got ${name}=${String(value)}`);
  }
}
