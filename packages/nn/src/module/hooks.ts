/**
 * Forward hooks and the call path of a module: PyTorch's `Module._call_impl` runs the
 * forward pre-hooks, `forward`, then the forward hooks, in registration order.
 */
import type { RemovableHandle } from '@loom/tensor';
import { ForwardNotImplementedError } from '../errors';
import type { Module } from './module';
import { registryOf } from './registry';

/**
 * Runs before `forward` with the call's arguments. Returning nothing keeps them;
 * returning an array replaces them; any other value becomes the single argument.
 */
export type ForwardPreHook<M extends Module = Module> = (module: M, inputs: unknown[]) => unknown;

/** Runs after `forward` with the arguments and the output; returning a value replaces the output. */
export type ForwardHook<M extends Module = Module> = (module: M, inputs: unknown[], output: unknown) => unknown;

let nextHookId = 0;

/** A hook's handle: `remove()` unregisters it (PyTorch's `RemovableHandle`). */
export class HookHandle implements RemovableHandle {
  /** A number unique in the process, in registration order. */
  readonly id = nextHookId++;

  constructor(private readonly hooks: Map<number, unknown>) {}

  /** Unregisters the hook; removing twice does nothing. */
  remove(): void {
    this.hooks.delete(this.id);
  }
}

/** @internal Adds a hook to one of a registry's hook maps. */
export function addHook(hooks: Map<number, unknown>, hook: unknown): HookHandle {
  const handle = new HookHandle(hooks);
  hooks.set(handle.id, hook);
  return handle;
}

/** @internal What `module(...args)` does: pre-hooks, `forward`, hooks. */
export function callModule(module: Module, args: unknown[]): unknown {
  const registry = registryOf(module);
  let inputs = args;
  if (registry.forwardPreHooks.size > 0) {
    for (const hook of [...registry.forwardPreHooks.values()]) {
      const result = hook(module, inputs);
      if (result !== undefined && result !== null) inputs = Array.isArray(result) ? result : [result];
    }
  }
  const forward = module.forward as ((...a: unknown[]) => unknown) | undefined;
  if (typeof forward !== 'function') {
    throw new ForwardNotImplementedError(`Module [${module.constructor.name}] is missing the required "forward" function`);
  }
  let output = forward.apply(module, inputs);
  if (registry.forwardHooks.size > 0) {
    for (const hook of [...registry.forwardHooks.values()]) {
      const result = hook(module, inputs, output);
      if (result !== undefined && result !== null) output = result;
    }
  }
  return output;
}
