/**
 * Typed errors of `@loom/tensor`. Every error carries a stable `code` that programs
 * can switch on, and a message that names the operation, the argument, what was seen
 * and what was expected, ending with a `help:` line where a fix is known.
 */

/** Base class of every error Loom throws on purpose. */
export class LoomError extends Error {
  /** A stable, machine-readable code such as `LOOM_SHAPE`. */
  readonly code: string;

  constructor(code: string, message: string, help?: string) {
    super(help ? `${message}\nhelp: ${help}` : message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Shapes that do not fit the operation (`matmul: inner dimensions differ: ...`). */
export class ShapeError extends LoomError {
  constructor(message: string, help?: string) {
    super('LOOM_SHAPE', message, help);
  }
}

/** A dtype the operation cannot take. */
export class DTypeError extends LoomError {
  constructor(message: string, help?: string) {
    super('LOOM_DTYPE', message, help);
  }
}

/** An argument with a value outside what the operation accepts. */
export class ArgumentError extends LoomError {
  constructor(message: string, help?: string) {
    super('LOOM_ARGUMENT', message, help);
  }
}

/** A tensor read or used after its memory was released. */
export class TensorDisposedError extends LoomError {
  constructor(message: string, help?: string) {
    super('LOOM_DISPOSED', message, help);
  }
}

/** Misuse of autograd: backward through a freed graph, in-place on a leaf, ... */
export class AutogradError extends LoomError {
  constructor(message: string, help?: string) {
    super('LOOM_AUTOGRAD', message, help);
  }
}

/** A backend or device that is not available (not installed, not ready, no GPU). */
export class BackendError extends LoomError {
  constructor(message: string, help?: string) {
    super('LOOM_BACKEND', message, help);
  }
}

/** Formats a shape the way error messages show it: `[64,784]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
