/**
 * The DataLoader's options (PyTorch's keyword arguments in camelCase) and PyTorch 1.13's
 * argument checks, in PyTorch's order and words.
 */
import { ArgumentError, type Generator, type Tensor } from '@loom/tensor';
import { checkBoolean, checkPositiveInteger } from '../internal/check';
import { describe } from '../internal/values';
import type { Sampler } from '../sampler/sampler';
import type { WorkerInitFn } from './worker-placement';

/**
 * The batch `defaultCollate` makes of samples of type `T`: tensors, numbers and
 * booleans become tensors with a batch dim, strings lists, arrays and objects are
 * collated element by element.
 *
 * @example
 * ```ts
 * type B = Collated<[Tensor, number]>; // [Tensor, Tensor]
 * ```
 */
export type Collated<T> = T extends Tensor | number | boolean | ArrayBufferView
  ? Tensor
  : T extends string
    ? string[]
    : T extends readonly unknown[]
      ? { -readonly [K in keyof T]: Collated<T[K]> }
      : T extends object
        ? { [K in keyof T]: Collated<T[K]> }
        : unknown;

/**
 * Options of `new DataLoader(dataset, options)`, with PyTorch 1.13's defaults.
 *
 * @example
 * ```ts
 * const options: DataLoaderOptions = { batchSize: 64, shuffle: true, numWorkers: 2, pinMemory: true };
 * ```
 */
export interface DataLoaderOptions<T = unknown, B = Collated<T>> {
  /** Samples per batch (default 1); `null` turns auto-batching off (samples one by one). */
  batchSize?: number | null;
  /** Reshuffle the indices every epoch (a RandomSampler); default false. */
  shuffle?: boolean;
  /** The order of indices (any iterable; a `length` makes `loader.length` work). Excludes `shuffle`. */
  sampler?: Sampler<unknown> | Iterable<unknown>;
  /** Yields lists of indices, one per batch. Excludes batchSize, shuffle, sampler and dropLast. */
  batchSampler?: Sampler<number[]> | Iterable<number[]>;
  /** Worker threads loading in parallel; 0 (default) loads on the calling thread. */
  numWorkers?: number;
  /** Merges a list of samples into a batch (default `defaultCollate`); see NOTE [Collate placement]. */
  collateFn?: (batch: T[]) => B;
  /** Workers write batches into pre-allocated shared slots, recycled (NOTE [Pinned batch slots]); no effect without workers. */
  pinMemory?: boolean;
  /** Drop the last, incomplete batch; default false. */
  dropLast?: boolean;
  /** Seconds to wait for a batch from the workers before failing; 0 (default) waits forever. */
  timeout?: number;
  /** Called in each worker with its id after seeding: a module path or `{ module, exportName }` (functions cannot cross threads). */
  workerInitFn?: WorkerInitFn;
  /** Draws the shuffle order and the workers' base seed (default: the global generator). */
  generator?: Generator;
  /** Batches loaded in advance per worker: 2 when numWorkers > 0; must stay unset without workers. */
  prefetchFactor?: number;
  /** Keep the worker threads (and their dataset copies) from one epoch to the next; default false. */
  persistentWorkers?: boolean;
  /** Yield batches in sampler order (default true); false yields each as soon as it is loaded. */
  inOrder?: boolean;
}

/** PyTorch's default `prefetch_factor` when there are workers. */
export const DEFAULT_PREFETCH_FACTOR = 2;

const OPTION_NAMES: readonly string[] = [
  'batchSize', 'shuffle', 'sampler', 'batchSampler', 'numWorkers', 'collateFn', 'pinMemory', 'dropLast',
  'timeout', 'workerInitFn', 'generator', 'prefetchFactor', 'persistentWorkers', 'inOrder',
];

function camelCase(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Checks the options as PyTorch's `DataLoader.__init__` does, in its order (so the
 * first complaint is PyTorch's first), plus Loom's own type checks.
 */
export function checkOptions(options: DataLoaderOptions<never, unknown>, iterable: boolean): void {
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key)) {
      const guess = camelCase(key);
      throw new ArgumentError(
        `DataLoader: unknown option ${key}`,
        OPTION_NAMES.includes(guess) ? `Loom's options are camelCase: ${guess}` : `the options are ${OPTION_NAMES.join(', ')}`,
      );
    }
  }
  const o = options;
  const numWorkers = o.numWorkers ?? 0;
  if (typeof numWorkers !== 'number' || !Number.isInteger(numWorkers) || numWorkers < 0) {
    throw new ArgumentError(`DataLoader: numWorkers option should be non-negative; use numWorkers=0 to disable multiprocessing. Got numWorkers=${String(numWorkers)}`);
  }
  const timeout = o.timeout ?? 0;
  if (typeof timeout !== 'number' || !(timeout >= 0)) {
    throw new ArgumentError(`DataLoader: timeout option should be non-negative, but got timeout=${String(timeout)}`);
  }
  if (numWorkers === 0 && o.prefetchFactor !== undefined) {
    throw new ArgumentError(
      'DataLoader: prefetchFactor option could only be specified in multiprocessing. let numWorkers > 0 to enable multiprocessing, otherwise leave prefetchFactor unset.',
    );
  }
  if (o.prefetchFactor !== undefined) checkPositiveInteger('DataLoader', 'prefetchFactor', o.prefetchFactor);
  if (o.persistentWorkers && numWorkers === 0) throw new ArgumentError('DataLoader: persistentWorkers option needs numWorkers > 0');
  for (const name of ['shuffle', 'pinMemory', 'dropLast', 'persistentWorkers', 'inOrder'] as const) {
    if (o[name] !== undefined) checkBoolean('DataLoader', name, o[name]);
  }
  if (iterable) {
    // See PyTorch's NOTE [ Custom Samplers and IterableDataset ]: a stream has no indices.
    for (const name of ['shuffle', 'sampler', 'batchSampler'] as const) {
      if (o[name] !== undefined && o[name] !== false) {
        throw new ArgumentError(`DataLoader with IterableDataset: expected unspecified ${name} option, but got ${name}=${name === 'shuffle' ? String(o[name]) : describe(o[name])}`);
      }
    }
  }
  if (o.sampler !== undefined && o.shuffle) throw new ArgumentError('DataLoader: sampler option is mutually exclusive with shuffle');
  if (o.batchSampler !== undefined) {
    if ((o.batchSize !== undefined && o.batchSize !== 1) || o.shuffle || o.sampler !== undefined || o.dropLast) {
      throw new ArgumentError('DataLoader: batchSampler option is mutually exclusive with batchSize, shuffle, sampler, and dropLast');
    }
  } else if (o.batchSize === null) {
    if (o.dropLast) throw new ArgumentError('DataLoader: batchSize=null option disables auto-batching and is mutually exclusive with dropLast');
  } else if (o.batchSize !== undefined) {
    checkPositiveInteger('DataLoader', 'batchSize', o.batchSize);
  }
  if (timeout > 0 && numWorkers === 0) {
    throw new ArgumentError(
      `DataLoader: timeout option needs numWorkers > 0, but got timeout=${timeout} with numWorkers=0`,
      'a loader without workers cannot interrupt a sample that hangs (PyTorch asserts timeout == 0 when it iterates); set numWorkers or drop timeout',
    );
  }
  if (o.collateFn !== undefined && typeof o.collateFn !== 'function') {
    throw new ArgumentError(`DataLoader: collateFn should be a function, but got collateFn=${describe(o.collateFn)}`);
  }
  if (o.generator !== undefined && typeof (o.generator as { randomInt64?: unknown }).randomInt64 !== 'function') {
    throw new ArgumentError(`DataLoader: generator should be a Generator from @loom/tensor, but got generator=${describe(o.generator)}`);
  }
}
