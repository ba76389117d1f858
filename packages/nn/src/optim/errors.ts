/**
 * Typed errors of `optim`. Bad hyperparameters raise `@loom/tensor`'s `ArgumentError`
 * with PyTorch's own message (`Invalid learning rate: -1`); the classes here cover
 * what has no argument to blame: a state dict that does not fit, a norm that is not
 * finite. `typeName` names a value in any of these messages.
 */
import { LoomError } from '@loom/tensor';

/**
 * A state dict that does not fit the optimizer or scheduler loading it (group count,
 * parameter count, a state tensor's shape, a malformed entry).
 *
 * @example
 * ```ts
 * try { optimizer.loadStateDict(ckpt.optimizerStateDict); }
 * catch (err) { if (err instanceof OptimizerStateError) console.error(err.message); }
 * ```
 */
export class OptimizerStateError extends LoomError {
  constructor(message: string, help?: string) {
    super('LOOM_OPTIM_STATE', message, help);
  }
}

/**
 * The total gradient norm is NaN or infinite and `clipGradNorm` was asked to refuse it
 * (`errorIfNonfinite: true`).
 *
 * @example
 * ```ts
 * clipGradNorm(model.parameters(), 1, 2, { errorIfNonfinite: true }); // may throw NonFiniteNormError
 * ```
 */
export class NonFiniteNormError extends LoomError {
  constructor(message: string, help?: string) {
    super('LOOM_NONFINITE_NORM', message, help);
  }
}

/** The class name of an object, or the `typeof` of anything else, for error messages. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}
