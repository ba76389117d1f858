/**
 * Hyperparameter checks with PyTorch's messages, and the key spelling used in state
 * dicts: Loom's options are camelCase (`weightDecay`), PyTorch's state-dict keys are
 * snake_case (`weight_decay`), so a Loom optimizer state dict maps 1:1 to PyTorch's.
 */
import { ArgumentError } from '@loom/tensor';

/**
 * Throws `Invalid <what>: <value>` (PyTorch's wording) unless `value` is a number >= 0.
 * NaN is refused too, as PyTorch's `not 0.0 <= value` does.
 */
export function checkNonNegative(value: unknown, what: string): void {
  if (typeof value !== 'number' || !(value >= 0)) {
    throw new ArgumentError(`Invalid ${what}: ${String(value)}`, `${what.replace(/ value$/, '')} must be a number >= 0`);
  }
}

/** PyTorch's Adam check: each beta in [0, 1). */
export function checkBetas(betas: unknown): void {
  if (!Array.isArray(betas) || betas.length !== 2) {
    throw new ArgumentError(`Invalid betas: ${String(betas)}`, 'betas must be a pair [beta1, beta2], e.g. [0.9, 0.999]');
  }
  betas.forEach((beta: unknown, i) => {
    if (typeof beta !== 'number' || !(beta >= 0 && beta < 1)) {
      throw new ArgumentError(`Invalid beta parameter at index ${i}: ${String(beta)}`, 'each beta must be in [0, 1)');
    }
  });
}

/** `weightDecay` -> `weight_decay`, `initialLr` -> `initial_lr`. */
export function toSnakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `weight_decay` -> `weightDecay`, `initial_lr` -> `initialLr`. */
export function toCamelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** A copy of a hyperparameter value: arrays (betas) are copied, scalars are immutable. */
export function copyValue<T>(value: T): T {
  return (Array.isArray(value) ? value.map(copyValue) : value) as T;
}
