/**
 * The error the random-number code throws for a bad argument: a count that is not an
 * integer, an empty range, a probability outside [0, 1], a malformed saved state.
 */
import { LoomError } from '../errors';

/** The `code` of every {@link RandomArgumentError}. */
export const RANDOM_ARGUMENT_CODE = 'LOOM_RANDOM_ARGUMENT';

/** How a rejected value is shown in a message: bigints with their `n`, strings quoted. */
function formatValue(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Uint8Array) return `a Uint8Array of ${value.length} bytes`;
  return String(value);
}

/**
 * An argument of a `Generator` method (or of `manualSeed`) outside what PyTorch
 * accepts. The message names the function, the argument, the value seen and what was
 * expected; the same facts are kept as fields for programs.
 *
 * @example
 * ```ts
 * try {
 *   new Generator().randperm(-1);
 * } catch (e) {
 *   if (e instanceof RandomArgumentError) e.code; // 'LOOM_RANDOM_ARGUMENT'
 *   // e.message: "Generator.randperm: expected n to be a non-negative integer, got -1"
 * }
 * ```
 */
export class RandomArgumentError extends LoomError {
  /** The function that refused the argument, such as `Generator.randperm`. */
  readonly functionName: string;
  /** The argument's name, such as `n`. */
  readonly argument: string;
  /** The value that was refused. */
  readonly value: unknown;

  constructor(functionName: string, argument: string, value: unknown, expected: string, help?: string) {
    super(
      RANDOM_ARGUMENT_CODE,
      `${functionName}: expected ${argument} to be ${expected}, got ${formatValue(value)}`,
      help,
    );
    this.functionName = functionName;
    this.argument = argument;
    this.value = value;
  }
}
