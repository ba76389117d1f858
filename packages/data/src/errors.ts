/**
 * Typed errors of `@loom/data`. Each has a stable `code`; messages name the class or
 * function, the file or argument, what was seen and what was expected, and end with a
 * `help:` line where a fix is known. Bad arguments throw `@loom/tensor`'s
 * `ArgumentError` (code `LOOM_ARGUMENT`), as PyTorch raises `ValueError`.
 */
import { LoomError } from '@loom/tensor';

/**
 * A data set's files were found nowhere; the message lists every place looked at and
 * says how to get the data.
 *
 * @example
 * ```ts
 * try { new FashionMNIST({ root: 'data' }); }
 * catch (e) { if (e instanceof DatasetNotFoundError) console.error(e.searched); }
 * ```
 */
export class DatasetNotFoundError extends LoomError {
  /** The paths that were looked at, in look-up order. */
  readonly searched: readonly string[];

  constructor(message: string, searched: readonly string[], help: string) {
    super('LOOM_DATA_NOT_FOUND', message, help);
    this.searched = searched;
  }
}

/**
 * A file that is not what its name promises: an IDX file with a wrong magic number,
 * wrong dimensions, a wrong length, or a gzip stream that does not decompress.
 *
 * @example
 * ```ts
 * try { readIdx('labels.idx', 'labels'); }
 * catch (e) { if (e instanceof DataFormatError) console.error(e.file); }
 * ```
 */
export class DataFormatError extends LoomError {
  /** The file that was refused. */
  readonly file: string;

  constructor(file: string, message: string, help?: string) {
    super('LOOM_DATA_FORMAT', message, help);
    this.file = file;
  }
}

/**
 * A download that failed on every mirror (HTTP error, network error, wrong checksum,
 * truncated or malformed file). Nothing is left behind in the target folder.
 *
 * @example
 * ```ts
 * try { await FashionMNIST.load({ root: 'data', download: true }); }
 * catch (e) { if (e instanceof DownloadError) console.error(e.attempts); }
 * ```
 */
export class DownloadError extends LoomError {
  /** The file that could not be downloaded. */
  readonly file: string;
  /** One line per mirror tried: the URL and why it failed. */
  readonly attempts: readonly string[];

  constructor(file: string, message: string, attempts: readonly string[], help?: string) {
    super('LOOM_DATA_DOWNLOAD', message, help);
    this.file = file;
    this.attempts = attempts;
  }
}

/**
 * `defaultCollate` met values it cannot batch: a type it does not know, fields of
 * different types or sizes.
 *
 * @example
 * ```ts
 * try { defaultCollate([{ a: 1 }, { a: 'x' }]); }
 * catch (e) { if (e instanceof CollateError) console.error(e.path); }
 * ```
 */
export class CollateError extends LoomError {
  /** Where in the sample the bad value sits, such as `batch[3][0]` or `batch[1].label`. */
  readonly path: string;

  constructor(path: string, message: string, help?: string) {
    super('LOOM_COLLATE', message, help);
    this.path = path;
  }
}

/**
 * A dataset or transform that cannot be re-created in a worker thread (a closure, a
 * `Lambda`, an object without `workerSpec()`), or a `WorkerSpec` that does not resolve.
 *
 * @example
 * ```ts
 * try { new FashionMNIST({ root, transform: new Lambda((x) => x) }).workerSpec(); }
 * catch (e) { if (e instanceof WorkerSpecError) console.error(e.message); }
 * ```
 */
export class WorkerSpecError extends LoomError {
  constructor(message: string, help?: string) {
    super('LOOM_WORKER_SPEC', message, help);
  }
}

/**
 * A subclass left out a method its base class needs (an `IterableDataset` without an
 * iterator), as Python's `NotImplementedError`.
 *
 * @example
 * ```ts
 * class Empty extends IterableDataset<number> {}
 * new Empty()[Symbol.asyncIterator](); // throws NotImplementedError
 * ```
 */
export class NotImplementedError extends LoomError {
  constructor(message: string, help?: string) {
    super('LOOM_NOT_IMPLEMENTED', message, help);
  }
}
