/**
 * Typed errors of `@loom/nn` modules. Bad arguments to layers, functions and losses
 * raise `@loom/tensor`'s `ArgumentError`, `ShapeError` or `DTypeError`, naming the
 * layer or loss, the value seen and what was expected; the classes here cover what is
 * specific to modules: registering children, loading state dicts, a missing forward.
 */
import { LoomError } from '@loom/tensor';

/**
 * A parameter, buffer or child module that cannot be registered under that name or
 * with that value (PyTorch raises `KeyError`/`TypeError` from `register_parameter`,
 * `register_buffer`, `add_module` and `__setattr__`).
 *
 * @example
 * ```ts
 * try { model.registerParameter('a.b', p); } catch (err) { if (err instanceof RegistrationError) ... }
 * ```
 */
export class RegistrationError extends LoomError {
  constructor(message: string, help?: string) {
    super('LOOM_NN_REGISTRATION', message, help);
  }
}

/**
 * A state dict that does not fit the module loading it: missing keys, unexpected
 * keys and shape mismatches, all listed in one message as PyTorch's
 * `Error(s) in loading state_dict for NeuralNetwork: ...`.
 *
 * @example
 * ```ts
 * try { model.loadStateDict(sd); } catch (err) { if (err instanceof StateDictError) console.error(err.message); }
 * ```
 */
export class StateDictError extends LoomError {
  /** Keys the module has and the state dict lacks. */
  readonly missingKeys: readonly string[];
  /** Keys the state dict has and the module lacks. */
  readonly unexpectedKeys: readonly string[];

  constructor(message: string, missingKeys: readonly string[], unexpectedKeys: readonly string[], help?: string) {
    super('LOOM_NN_STATE_DICT', message, help);
    this.missingKeys = missingKeys;
    this.unexpectedKeys = unexpectedKeys;
  }
}

/**
 * A module was called but its class defines no `forward`.
 *
 * @example
 * ```ts
 * class Net extends Module {}
 * new Net()(x); // ForwardNotImplementedError: Module [Net] is missing the required "forward" function
 * ```
 */
export class ForwardNotImplementedError extends LoomError {
  constructor(message: string, help?: string) {
    super('LOOM_NN_FORWARD', message, help);
  }
}
