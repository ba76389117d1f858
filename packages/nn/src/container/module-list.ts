/** `ModuleList`: a list of registered modules. */
import { ArgumentError } from '@loom/tensor';
import { Module } from '../module/module';
import { registryOf } from '../module/registry';

/**
 * Holds modules in a list so that they are registered (their parameters are the
 * owner's), as PyTorch's `nn.ModuleList`. It has no `forward`: iterate it.
 *
 * @example
 * ```ts
 * class Deep extends Module {
 *   layers = new ModuleList(Array.from({ length: 4 }, () => new Linear(64, 64)));
 *   override forward(x: Tensor): Tensor {
 *     for (const layer of this.layers) x = layer(x).relu();
 *     return x;
 *   }
 * }
 * ```
 */
export class ModuleList extends Module implements Iterable<Module> {
  /** The module at each index (`list[0]`). */
  readonly [index: number]: Module;

  constructor(modules: Iterable<Module> = []) {
    super();
    this.extend(modules);
  }

  private list(): Module[] {
    return [...registryOf(this).modules.values()] as Module[];
  }

  /** Number of modules. */
  override get length(): number {
    return registryOf(this).modules.size;
  }

  /** The module at a position (negative counts from the end). @example `layers.at(-1)` */
  at(index: number): Module {
    const list = this.list();
    const i = index < 0 ? index + list.length : index;
    if (!Number.isInteger(index) || i < 0 || i >= list.length) throw new ArgumentError(`ModuleList.at: index ${index} is out of range for ${list.length} modules`);
    return list[i] as Module;
  }

  /** Appends a module. Returns the list. @example `layers.append(new Linear(8, 8))` */
  append(module: Module): this {
    this.registerModule(String(this.length), module);
    return this;
  }

  /** Appends modules. Returns the list. @example `layers.extend([a, b])` */
  extend(modules: Iterable<Module>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  /** Inserts a module before `index`, renumbering the ones after it (PyTorch's `insert`). @example `layers.insert(0, stem)` */
  insert(index: number, module: Module): void {
    const list = this.list();
    const i = Math.max(0, Math.min(list.length, index < 0 ? index + list.length : index));
    list.splice(i, 0, module);
    for (let k = i; k < list.length; k++) this.registerModule(String(k), list[k] as Module);
  }

  *[Symbol.iterator](): Iterator<Module> {
    yield* this.list();
  }
}
