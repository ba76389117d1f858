/** `ModuleDict`: registered modules by name. */
import { ArgumentError } from '@loom/tensor';
import { Module } from '../module/module';
import { registryOf } from '../module/registry';

/**
 * Holds modules by name so that they are registered, in insertion order (PyTorch's
 * `nn.ModuleDict`). Names are also properties (`heads.cls`); names of methods
 * (`keys`, `train`, ...) are refused, as in PyTorch.
 *
 * @example
 * ```ts
 * const heads = new ModuleDict({ cls: new Linear(64, 10), box: new Linear(64, 4) });
 * heads.get('cls')(h); heads.cls; [...heads.keys()]; // ['cls', 'box']
 * ```
 */
export class ModuleDict extends Module implements Iterable<string> {
  constructor(modules: Map<string, Module> | Record<string, Module> | Iterable<[string, Module]> = {}) {
    super();
    this.update(modules);
  }

  /** Number of modules. */
  get size(): number {
    return registryOf(this).modules.size;
  }

  /** The module named `key`. @example `heads.get('cls')` */
  get(key: string): Module {
    const m = registryOf(this).modules.get(key);
    if (m === undefined || m === null) throw new ArgumentError(`ModuleDict.get: no module named '${key}'`, `names: ${[...this.keys()].join(', ')}`);
    return m;
  }

  /** Adds or replaces the module named `key`. @example `heads.set('seg', new Conv2d(64, 21, 1))` */
  set(key: string, module: Module): this {
    this.registerModule(key, module);
    return this;
  }

  /** Whether a module is named `key` (PyTorch's `in`). @example `heads.has('cls')` */
  has(key: string): boolean {
    return registryOf(this).modules.has(key);
  }

  /** Removes and returns the module named `key` (PyTorch's `pop`). @example `heads.pop('box')` */
  pop(key: string): Module {
    const m = this.get(key);
    delete (this as Record<string, unknown>)[key];
    return m;
  }

  /** Adds every entry of `modules`. @example `heads.update({ aux: new Linear(64, 2) })` */
  update(modules: Map<string, Module> | Record<string, Module> | Iterable<[string, Module]>): this {
    const entries =
      modules instanceof Map ? modules.entries() : Symbol.iterator in Object(modules) ? (modules as Iterable<[string, Module]>) : Object.entries(modules);
    for (const [key, m] of entries) this.registerModule(key, m);
    return this;
  }

  /** The names, in insertion order. @example `[...heads.keys()]` */
  keys(): IterableIterator<string> {
    return registryOf(this).modules.keys();
  }

  /** The modules. @example `[...heads.values()]` */
  values(): Module[] {
    return [...registryOf(this).modules.values()] as Module[];
  }

  /** `[name, module]` pairs. @example `for (const [name, head] of heads.entries()) ...` */
  entries(): [string, Module][] {
    return [...registryOf(this).modules.entries()] as [string, Module][];
  }

  /** Iterates over the names, as PyTorch's `ModuleDict`. */
  [Symbol.iterator](): Iterator<string> {
    return this.keys();
  }
}
