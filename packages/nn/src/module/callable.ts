/**
 * How a Loom module is both callable (`model(X)`, as in PyTorch) and registers what
 * is assigned to it (`this.fc = new Linear(...)`, as PyTorch's `__setattr__`).
 *
 * NOTE [Callable modules and property registration]
 * The `Module` constructor returns a Proxy instead of `this`:
 *
 *   user code           Proxy (the module users hold)        target
 *   ---------           -----------------------------        ------
 *   model(X)       -->  apply trap: hooks + forward     -->  an arrow function whose
 *   this.fc = m    -->  defineProperty trap: registers  -->  prototype is the module
 *   class field fc      (PyTorch's __setattr__), then        class's prototype, so
 *   model.fc       -->  defines the property on target       instanceof and methods work
 *
 * - A subclass constructor receives the Proxy as `this` from `super()`, so its class
 *   fields (defined with [[DefineOwnProperty]] under ES2022 semantics) and its
 *   constructor assignments (a [[Set]] that ends in [[DefineOwnProperty]] on the
 *   receiver) both reach the same trap, in assignment order. Fields compiled with
 *   `useDefineForClassFields: false` are plain assignments and reach it too.
 * - Reads have no trap: registered values are also ordinary own properties of the
 *   target, so `this.weight` in `forward` costs a plain property read.
 * - The target is an arrow function (no own `prototype`), stripped of its own `name`
 *   and `length`, so `Sequential.length` and a child named `name` work.
 * - `typeof model === 'function'`: code that calls functions and modules alike
 *   (`typeof loss === 'function' ? loss(p, y) : loss.forward(p, y)`) takes modules as
 *   functions, which runs their hooks.
 */
import type { Module } from './module';
import { callModule } from './hooks';
import { REGISTRY, Registry, registerAssignment, registryOf, unregister } from './registry';

const HANDLER: ProxyHandler<Module> = {
  apply(target, _thisArg, args: unknown[]) {
    return callModule(registryOf(target).self, args);
  },
  defineProperty(target, key, descriptor) {
    if (typeof key === 'string') {
      const registry = registryOf(target);
      if ('value' in descriptor) registerAssignment(target, registry, key, descriptor.value);
      else if (descriptor.get !== undefined || descriptor.set !== undefined) unregister(registry, key);
    }
    return Reflect.defineProperty(target, key, descriptor);
  },
  deleteProperty(target, key) {
    if (typeof key === 'string') unregister(registryOf(target), key);
    return Reflect.deleteProperty(target, key);
  },
};

/**
 * @internal Builds the callable object a `Module` constructor returns: a Proxy over a
 * function whose prototype is `prototype`. See NOTE [Callable modules and property
 * registration].
 */
export function createModuleObject(prototype: object): Module {
  const target = (() => undefined) as unknown as Module;
  delete (target as { length?: number }).length;
  delete (target as { name?: string }).name;
  Object.setPrototypeOf(target, prototype);
  const registry = new Registry();
  Object.defineProperty(target, REGISTRY, { value: registry });
  const proxy = new Proxy(target, HANDLER);
  registry.self = proxy;
  // PyTorch's `training` is a plain attribute set by Module.__init__.
  Object.defineProperty(target, 'training', { value: true, writable: true, enumerable: true, configurable: true });
  return proxy;
}
