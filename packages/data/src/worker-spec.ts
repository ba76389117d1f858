/**
 * How a dataset (or transform) is re-created inside a worker thread.
 *
 * NOTE [Re-creating datasets in worker threads]
 * Closures and class instances cannot cross threads: `postMessage` clones plain data
 * and drops prototypes. So a dataset that a pooled DataLoader uses describes itself
 * as a recipe, its `WorkerSpec`: a module to `require`, an export of it, and the
 * arguments to construct it with. Arguments are structured-cloned; typed arrays over
 * `SharedArrayBuffer`s arrive as views of the same memory, so data sets keep their
 * bytes there and N workers share one copy.
 *
 *   main thread                                  worker thread
 *   dataset.workerSpec() ──────────────────────▶ recreateFromSpec(spec)
 *   { module: '@loom/data',                        require('@loom/data').FashionMNIST
 *     exportName: 'FashionMNIST',                  new FashionMNIST({ ...,
 *     args: [{ data: { images ─┐                     data: { images },   ◀─ same bytes
 *              transform: { __workerSpec: ToTensor } }] }   transform: new ToTensor() })
 *                              └── SharedArrayBuffer ──┘
 *
 * Nested recreatable values (transforms, the parts of a `ConcatDataset`) are written
 * as `{ __workerSpec: spec }` inside the arguments and re-created first.
 */
import { WorkerSpecError } from './errors';
import { describe, isPlainObject } from './internal/values';

/**
 * A recipe to re-create a value in another thread: `require(module)[exportName]`,
 * then `Ctor.fromWorkerArgs(...args)` if the export has that static method, else
 * `new Ctor(...args)`. `args` must be structured-cloneable; shared buffers in it are
 * shared, not copied.
 *
 * @example
 * ```ts
 * const spec: WorkerSpec = { module: __filename, exportName: 'MyDataset', args: [{ size: 100 }] };
 * ```
 */
export interface WorkerSpec {
  /** A package name (`'@loom/data'`) or an absolute path (`__filename`). */
  module: string;
  /** The name of the constructor among the module's exports. */
  exportName: string;
  /** Constructor arguments, possibly holding nested `{ __workerSpec }` objects. */
  args: unknown[];
}

/**
 * A value that can describe how to re-create itself in a worker thread. Built-in
 * datasets and transforms implement it; implement it on your own dataset classes.
 *
 * @example
 * ```ts
 * export class Squares extends Dataset<number> implements WorkerRecreatable {
 *   constructor(readonly n: number) { super(); }
 *   getItem(i: number) { return i * i; }
 *   get length() { return this.n; }
 *   workerSpec() { return { module: __filename, exportName: 'Squares', args: [this.n] }; }
 * }
 * ```
 */
export interface WorkerRecreatable {
  workerSpec(): WorkerSpec;
}

/** How a recreatable value is nested inside another one's arguments. */
export interface NestedWorkerSpec {
  __workerSpec: WorkerSpec;
}

/**
 * Whether `x` has a `workerSpec()` method.
 *
 * @example
 * ```ts
 * if (!isWorkerRecreatable(dataset)) throw new Error('use numWorkers: 0');
 * ```
 */
export function isWorkerRecreatable(x: unknown): x is WorkerRecreatable {
  return (typeof x === 'object' || typeof x === 'function') && x !== null && typeof (x as WorkerRecreatable).workerSpec === 'function';
}

/**
 * Encodes a part of a dataset (a transform, a sub-dataset) for its owner's
 * `workerSpec()`: `null` for none, `{ __workerSpec }` for a recreatable value, and an
 * error naming the owner and the part for anything else (a closure, a `Lambda`).
 *
 * @example
 * ```ts
 * workerSpec() {
 *   return { module: __filename, exportName: 'MyDataset', args: [nestedWorkerSpec(this.transform, 'MyDataset', 'transform')] };
 * }
 * ```
 */
export function nestedWorkerSpec(value: unknown, owner: string, part: string): NestedWorkerSpec | null {
  if (value === null || value === undefined) return null;
  if (isWorkerRecreatable(value)) return { __workerSpec: value.workerSpec() };
  throw new WorkerSpecError(
    `${owner}.workerSpec: ${part} is ${describe(value)}, which cannot be re-created in a worker thread (closures and objects without workerSpec() cannot cross threads)`,
    'write it as a class exported from your own module that implements workerSpec() (see WorkerRecreatable), or load with numWorkers: 0',
  );
}

/**
 * Re-creates the value a `WorkerSpec` describes (in a worker thread): requires the
 * module, re-creates nested `{ __workerSpec }` arguments first, then calls
 * `fromWorkerArgs(...args)` or the constructor.
 *
 * @example
 * ```ts
 * const dataset = recreateFromSpec(spec) as Dataset; // in the worker
 * ```
 */
export function recreateFromSpec(spec: WorkerSpec): unknown {
  if (typeof spec !== 'object' || spec === null || typeof spec.module !== 'string' || typeof spec.exportName !== 'string' || !Array.isArray(spec.args)) {
    throw new WorkerSpecError(`recreateFromSpec: expected { module: string, exportName: string, args: unknown[] }, got ${describe(spec)}`);
  }
  const where = `recreateFromSpec(${spec.module}#${spec.exportName})`;
  if (spec.module.startsWith('.')) {
    throw new WorkerSpecError(
      `${where}: module '${spec.module}' is a relative path, which a worker would resolve against @loom/data's folder`,
      "give a package name or an absolute path: module: __filename (or require.resolve('./my-dataset'))",
    );
  }
  let exports: Record<string, unknown>;
  try {
    exports = require(spec.module) as Record<string, unknown>;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new WorkerSpecError(`${where}: cannot load module '${spec.module}': ${reason}`, 'workers load modules by name: build the package (npm run build) or give an absolute path');
  }
  const Ctor = exports[spec.exportName] as (new (...args: unknown[]) => unknown) & { fromWorkerArgs?: (...args: unknown[]) => unknown };
  if (typeof Ctor !== 'function') {
    throw new WorkerSpecError(`${where}: module '${spec.module}' has no exported class '${spec.exportName}' (found ${typeof Ctor})`, 'export the class by that name');
  }
  const args = spec.args.map(revive);
  return typeof Ctor.fromWorkerArgs === 'function' ? Ctor.fromWorkerArgs(...args) : new Ctor(...args);
}

/** Replaces nested `{ __workerSpec }` objects by what they describe, in arrays and plain objects. */
function revive(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revive);
  if (!isPlainObject(value)) return value;
  if ('__workerSpec' in value) return recreateFromSpec(value['__workerSpec'] as WorkerSpec);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = revive(v);
  return out;
}
