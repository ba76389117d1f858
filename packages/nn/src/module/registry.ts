/**
 * What a module owns, in registration order (PyTorch's `_parameters`, `_buffers`,
 * `_modules` and hook dicts), and the rules of PyTorch's `Module.__setattr__` that
 * decide, for each property assignment, what gets registered where.
 */
import { Tensor } from '@loom/tensor';
import { RegistrationError } from '../errors';
import { isParameter, type Parameter } from './parameter';
import type { ForwardHook, ForwardPreHook } from './hooks';
import type { Module } from './module';

/** The key under which a module keeps its {@link Registry}. */
export const REGISTRY = Symbol('loom.nn.registry');

/** @internal A module's registered state, each map in insertion order. */
export class Registry {
  readonly parameters = new Map<string, Parameter | null>();
  readonly buffers = new Map<string, Tensor | null>();
  /** Buffers left out of the state dict (`registerBuffer(name, t, { persistent: false })`). */
  readonly nonPersistent = new Set<string>();
  readonly modules = new Map<string, Module | null>();
  readonly forwardPreHooks = new Map<number, ForwardPreHook>();
  readonly forwardHooks = new Map<number, ForwardHook>();
  /** The callable proxy that users hold, for hooks and `forward`'s `this`. */
  self!: Module;
}

/** @internal The registry of a module (throws for anything else). */
export function registryOf(module: Module): Registry {
  const registry = (module as unknown as { [REGISTRY]?: Registry })[REGISTRY];
  if (registry === undefined) {
    throw new RegistrationError(`expected a Module, got ${describe(module)}`, 'subclasses must call super() before anything else in their constructor');
  }
  return registry;
}

/** Whether `value` is a module (made by the `Module` constructor). */
export function isModule(value: unknown): value is Module {
  return (typeof value === 'function' || typeof value === 'object') && value !== null && REGISTRY in value;
}

/** A short description of a value for error messages: `Tensor [3,4]`, `number 3`, `Linear`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (value instanceof Tensor) return `${isParameter(value) ? 'Parameter' : 'Tensor'} [${value.shape.join(',')}] ${value.dtype}`;
  if (isModule(value)) return value.constructor.name;
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return `${typeof value} ${String(value)}`;
}

type Kind = 'parameter' | 'buffer' | 'module';

/** PyTorch's checks on a name given to `register_parameter`/`register_buffer`/`add_module`. */
export function checkName(target: object, registry: Registry, kind: Kind, name: unknown): asserts name is string {
  if (typeof name !== 'string') {
    throw new RegistrationError(`${kind} name should be a string, got ${describe(name)}`);
  }
  if (name.includes('.')) throw new RegistrationError(`${kind} name can't contain ".", got: ${name}`);
  if (name === '') throw new RegistrationError(`${kind} name can't be empty string ""`);
  const own = kind === 'parameter' ? registry.parameters : kind === 'buffer' ? registry.buffers : registry.modules;
  if ((Object.prototype.hasOwnProperty.call(target, name) || isClassMember(target, name)) && !own.has(name)) {
    throw new RegistrationError(
      `attribute '${name}' already exists on ${target.constructor.name}`,
      `choose another name for the ${kind}${Object.prototype.hasOwnProperty.call(target, name) ? '' : ` ('${name}' is a method or accessor of the class)`}`,
    );
  }
}

/**
 * Whether `name` is a member of the module's classes (a method or accessor that a
 * child or parameter of that name would hide). Members of `Function.prototype` and
 * `Object.prototype` (`name`, `length`, `call`) do not count, as in Python.
 */
function isClassMember(target: object, name: string): boolean {
  for (let proto = Object.getPrototypeOf(target); proto !== null && proto !== Function.prototype && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    if (Object.prototype.hasOwnProperty.call(proto, name)) return true;
  }
  return false;
}

/** A name taken by a method or accessor of the class: a child or parameter there would hide it. */
function checkNotInherited(target: object, name: string, kind: Kind): void {
  if (!Object.prototype.hasOwnProperty.call(target, name) && isClassMember(target, name)) {
    throw new RegistrationError(
      `attribute '${name}' already exists on ${target.constructor.name}: cannot assign a ${kind} there`,
      `'${name}' is a method or accessor of the class; choose another property name`,
    );
  }
}

function forget(registry: Registry, name: string, except: Kind | null): void {
  if (except !== 'parameter') registry.parameters.delete(name);
  if (except !== 'buffer') {
    registry.buffers.delete(name);
    registry.nonPersistent.delete(name);
  }
  if (except !== 'module') registry.modules.delete(name);
}

const REDECLARED_HELP =
  'a subclass field without initializer redefines the property as undefined after the parent constructor ran; write `declare name: Type;` instead';

/**
 * PyTorch's `Module.__setattr__`: decides what assigning `value` to `name` registers.
 * A parameter registers as a parameter, a module as a child, a tensor assigned to a
 * buffer's name replaces the buffer; `null` clears a registered entry; anything else
 * is a plain property. Throws, naming the property, for values that do not fit a
 * registered name (a plain tensor where a parameter is registered, ...).
 */
export function registerAssignment(target: object, registry: Registry, name: string, value: unknown): void {
  if (isParameter(value)) {
    checkNotInherited(target, name, 'parameter');
    forget(registry, name, 'parameter');
    registry.parameters.set(name, value);
  } else if (registry.parameters.has(name)) {
    if (value !== null) {
      throw new RegistrationError(
        `cannot assign '${describe(value)}' as parameter '${name}' of ${target.constructor.name} (Parameter or null expected)`,
        value === undefined ? REDECLARED_HELP : 'wrap the tensor: new Parameter(tensor), or update the values in place: noGrad(() => p.copy_(tensor))',
      );
    }
    registry.parameters.set(name, null);
  } else if (isModule(value)) {
    checkNotInherited(target, name, 'module');
    forget(registry, name, 'module');
    registry.modules.set(name, value);
  } else if (registry.modules.has(name)) {
    if (value !== null) {
      throw new RegistrationError(
        `cannot assign '${describe(value)}' as child module '${name}' of ${target.constructor.name} (Module or null expected)`,
        value === undefined ? REDECLARED_HELP : undefined,
      );
    }
    registry.modules.set(name, null);
  } else if (registry.buffers.has(name)) {
    if (value !== null && !(value instanceof Tensor)) {
      throw new RegistrationError(
        `cannot assign '${describe(value)}' as buffer '${name}' of ${target.constructor.name} (Tensor or null expected)`,
        value === undefined ? REDECLARED_HELP : undefined,
      );
    }
    registry.buffers.set(name, value === null ? null : value.keep());
  }
}

/** PyTorch's `Module.__delattr__`: deleting a property also unregisters it. */
export function unregister(registry: Registry, name: string): void {
  forget(registry, name, null);
}

/**
 * Implements `registerParameter`, `registerBuffer` and `registerModule`: PyTorch's
 * checks of the name and the value, then the entry and the property `name`.
 */
export function register(module: Module, kind: Kind, name: string, value: unknown, persistent = true): void {
  const registry = registryOf(module);
  if (kind === 'module' && value !== null && !isModule(value)) throw new RegistrationError(`${describe(value)} is not a Module subclass`);
  checkName(module, registry, kind, name);
  if (kind === 'parameter') {
    if (value !== null && !isParameter(value)) {
      throw new RegistrationError(`cannot assign '${describe(value)}' object to parameter '${name}' (Parameter or null required)`, 'wrap the tensor: new Parameter(tensor)');
    }
    registry.parameters.set(name, value);
  } else if (kind === 'buffer') {
    if (value !== null && !(value instanceof Tensor)) {
      throw new RegistrationError(`cannot assign '${describe(value)}' object to buffer '${name}' (Tensor or null required)`);
    }
    registry.buffers.set(name, value === null ? null : value.keep());
    if (persistent) registry.nonPersistent.delete(name);
    else registry.nonPersistent.add(name);
  } else {
    registry.modules.set(name, value as Module | null);
  }
  // Through the proxy's trap, which finds the entry in place and keeps it.
  Object.defineProperty(module, name, { value, writable: true, enumerable: true, configurable: true });
}
