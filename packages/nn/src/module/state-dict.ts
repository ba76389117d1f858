/**
 * `stateDict` and `loadStateDict`: a module's parameters and persistent buffers by
 * dotted name (`linear_relu_stack.0.weight`), in PyTorch's order: a module's own
 * parameters, then its buffers, then each child's entries, depth first.
 *
 * Unlike PyTorch, loading checks everything before it copies anything: a state dict
 * that does not fit leaves the module unchanged.
 */
import { ArgumentError, Tensor, fromArray, noGrad } from '@loom/tensor';
import { StateDictError } from '../errors';
import type { Module } from './module';
import { describe, registryOf } from './registry';

/**
 * A state dict: dotted names to tensors, in PyTorch's order (a plain object, whose
 * string keys keep their insertion order).
 */
export type StateDict = Record<string, Tensor>;

/** Options of `stateDict`. */
export interface StateDictOptions {
  /** Prepended to every key (PyTorch's `prefix`). */
  prefix?: string;
  /**
   * Return the parameters and buffers themselves instead of detached values
   * (PyTorch's `keep_vars`).
   */
  keepVars?: boolean;
}

/** Options of `loadStateDict`. */
export interface LoadStateDictOptions {
  /** Refuse missing and unexpected keys (default true, as PyTorch). */
  strict?: boolean;
}

/** What `loadStateDict` returns (PyTorch's `_IncompatibleKeys`). */
export interface IncompatibleKeys {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/**
 * A value of the module that does not follow it: host values are copied, backend
 * values shared (`detach`). Loom's in-place updates replace a tensor's storage, so a
 * state dict is a snapshot that later optimizer steps do not change (in PyTorch the
 * values alias the parameters, hence the `copy.deepcopy(model.state_dict())` idiom).
 */
function snapshot(t: Tensor): Tensor {
  const host = t.hostView();
  return host !== null ? fromArray(host, t.shape, { dtype: t.dtype }) : t.detach();
}

/** The entries `stateDict` holds for `module`, before snapshotting. */
export function stateEntries(module: Module, prefix = ''): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  const walk = (m: Module, p: string): void => {
    const registry = registryOf(m);
    for (const [name, param] of registry.parameters) if (param !== null) out.push([p + name, param]);
    for (const [name, buffer] of registry.buffers) {
      if (buffer !== null && !registry.nonPersistent.has(name)) out.push([p + name, buffer]);
    }
    for (const [name, child] of registry.modules) if (child !== null) walk(child, `${p}${name}.`);
  };
  walk(module, prefix);
  return out;
}

/** Implements `Module.stateDict`. */
export function stateDictOf(module: Module, options: StateDictOptions = {}): StateDict {
  const out: StateDict = {};
  for (const [key, t] of stateEntries(module, options.prefix ?? '')) out[key] = options.keepVars ? t : snapshot(t);
  return out;
}

function toMap(stateDict: StateDict | Map<string, Tensor>): Map<string, Tensor> {
  if (stateDict === null || typeof stateDict !== 'object') {
    throw new ArgumentError(`loadStateDict: expected a state dict (an object or Map of tensors), got ${describe(stateDict)}`);
  }
  const entries = stateDict instanceof Map ? [...stateDict.entries()] : Object.entries(stateDict);
  for (const [key, value] of entries) {
    if (!(value instanceof Tensor)) {
      throw new ArgumentError(`loadStateDict: the value of '${key}' is ${describe(value)}, expected a Tensor`);
    }
  }
  return new Map(entries);
}

const quote = (keys: readonly string[]): string => keys.map((k) => `"${k}"`).join(', ');

/** Implements `Module.loadStateDict`; see the module comment. */
export function loadStateDictInto(module: Module, stateDict: StateDict | Map<string, Tensor>, options: LoadStateDictOptions = {}): IncompatibleKeys {
  const strict = options.strict ?? true;
  const given = toMap(stateDict);
  // Let layers adapt older state dicts first (BatchNorm without num_batches_tracked).
  for (const [prefix, m] of module.namedModules()) m.upgradeStateDict(given, prefix === '' ? '' : `${prefix}.`);
  const expected = stateEntries(module);
  const expectedKeys = new Set(expected.map(([key]) => key));
  const missingKeys: string[] = [];
  const mismatches: string[] = [];
  const copies: [Tensor, Tensor][] = [];
  for (const [key, target] of expected) {
    const source = given.get(key);
    if (source === undefined) {
      missingKeys.push(key);
    } else if (source.shape.length !== target.shape.length || source.shape.some((d, i) => d !== target.shape[i])) {
      mismatches.push(
        `size mismatch for ${key}: copying a param with shape [${source.shape.join(', ')}] from checkpoint, the shape in current model is [${target.shape.join(', ')}].`,
      );
    } else {
      copies.push([target, source]);
    }
  }
  const unexpectedKeys = [...given.keys()].filter((key) => !expectedKeys.has(key));
  const errors: string[] = [];
  if (strict && missingKeys.length > 0) errors.push(`Missing key(s) in state_dict: ${quote(missingKeys)}. `);
  if (strict && unexpectedKeys.length > 0) errors.push(`Unexpected key(s) in state_dict: ${quote(unexpectedKeys)}. `);
  errors.push(...mismatches);
  if (errors.length > 0) {
    throw new StateDictError(
      `Error(s) in loading state_dict for ${module.constructor.name}:\n\t${errors.join('\n\t')}`,
      missingKeys,
      unexpectedKeys,
      mismatches.length > 0 ? 'the checkpoint was saved from a model of another shape' : 'pass { strict: false } to load the keys that match and report the others',
    );
  }
  noGrad(() => {
    for (const [target, source] of copies) if (target !== source) target.copy_(source);
  });
  return { missingKeys, unexpectedKeys };
}
