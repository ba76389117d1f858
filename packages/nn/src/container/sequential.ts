/** `Sequential`: modules applied one after another. */
import { ArgumentError, type Tensor } from '@loom/tensor';
import { Module } from '../module/module';
import { isModule, registryOf } from '../module/registry';

/** Modules, or named modules (PyTorch's `Sequential(OrderedDict(...))`). */
export type NamedModules = Map<string, Module> | Record<string, Module>;

function positional(index: number, length: number, op: string): number {
  const i = index < 0 ? index + length : index;
  if (!Number.isInteger(index) || i < 0 || i >= length) throw new ArgumentError(`${op}: index ${index} is out of range for ${length} modules`);
  return i;
}

/**
 * Calls its modules in order, each on the previous one's output (PyTorch's
 * `nn.Sequential`). Children are named `'0'`, `'1'`, ... (so the state-dict keys are
 * `0.weight`, `0.bias`, ...) unless given by name. `seq.at(i)` and `seq[i]` index,
 * `length` counts and `for...of` iterates.
 *
 * @example
 * ```ts
 * const stack = new Sequential(new Linear(784, 512), new ReLU(), new Linear(512, 10));
 * stack(x); stack.at(-1); stack[0]; stack.length; // 3
 * new Sequential(new Map([['fc', new Linear(4, 2)], ['act', new ReLU()]]));
 * ```
 */
export class Sequential extends Module implements Iterable<Module> {
  /** The child registered under the key `'0'`, `'1'`, ... (by key, as an attribute). */
  readonly [index: number]: Module;

  constructor(...modules: Module[] | [NamedModules]) {
    super();
    const first = modules[0];
    if (modules.length === 1 && !isModule(first) && typeof first === 'object' && first !== null) {
      const entries = first instanceof Map ? [...first.entries()] : Object.entries(first);
      for (const [name, m] of entries) this.registerModule(name, m);
    } else {
      (modules as Module[]).forEach((m, i) => this.registerModule(String(i), m));
    }
  }

  /** Number of modules. */
  override get length(): number {
    return registryOf(this).modules.size;
  }

  /** The module at a position (negative counts from the end). @example `seq.at(-1)` */
  at(index: number): Module {
    const modules = [...registryOf(this).modules.values()];
    return modules[positional(index, modules.length, 'Sequential.at')] as Module;
  }

  /** Appends a module under the next index. Returns the Sequential. @example `seq.append(new ReLU())` */
  append(module: Module): this {
    this.registerModule(String(this.length), module);
    return this;
  }

  /**
   * A new Sequential with the modules at positions `start..end` (the same module
   * objects, under their keys), as PyTorch's `seq[start:end]`.
   *
   * @example
   * ```ts
   * const features = model.slice(0, -1);
   * ```
   */
  slice(start = 0, end = this.length): Sequential {
    const entries = [...registryOf(this).modules.entries()].slice(start, end);
    return new Sequential(new Map(entries as [string, Module][]));
  }

  *[Symbol.iterator](): Iterator<Module> {
    for (const m of registryOf(this).modules.values()) if (m !== null) yield m;
  }

  override forward(input: Tensor): Tensor {
    let x = input;
    for (const m of this) x = m(x);
    return x;
  }
}
