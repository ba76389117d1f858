/**
 * The one error type of `save`/`load` and the safetensors functions: every refusal
 * names the file (or the value being saved) and says what is wrong with it.
 */
import { LoomError } from '@loom/tensor';

/**
 * What went wrong, as a stable code:
 *
 * - `LOOM_CHECKPOINT_EMPTY`: the file has no bytes.
 * - `LOOM_CHECKPOINT_TRUNCATED`: the file ends before its own header says it does.
 * - `LOOM_CHECKPOINT_CORRUPTED`: the bytes changed after writing (SHA-256 mismatch,
 *   damaged header or trailer).
 * - `LOOM_CHECKPOINT_FOREIGN`: not a Loom checkpoint (or not a safetensors file).
 * - `LOOM_CHECKPOINT_VERSION`: written by a newer Loom, in a format this one cannot read.
 * - `LOOM_CHECKPOINT_MALFORMED`: intact bytes that do not describe a valid checkpoint.
 * - `LOOM_CHECKPOINT_UNSUPPORTED`: a value that cannot be saved (a function, a class
 *   instance, a cycle), or a safetensors dtype or value Loom cannot hold.
 * - `LOOM_CHECKPOINT_IO`: the file system refused (missing folder, permissions, full disk).
 */
export type CheckpointErrorCode =
  | 'LOOM_CHECKPOINT_EMPTY'
  | 'LOOM_CHECKPOINT_TRUNCATED'
  | 'LOOM_CHECKPOINT_CORRUPTED'
  | 'LOOM_CHECKPOINT_FOREIGN'
  | 'LOOM_CHECKPOINT_VERSION'
  | 'LOOM_CHECKPOINT_MALFORMED'
  | 'LOOM_CHECKPOINT_UNSUPPORTED'
  | 'LOOM_CHECKPOINT_IO';

/**
 * A checkpoint or safetensors file that cannot be written or read.
 *
 * @example
 * ```ts
 * try {
 *   ckpt = await load('model.ckpt');
 * } catch (err) {
 *   if (err instanceof CheckpointError && err.code === 'LOOM_CHECKPOINT_TRUNCATED') ckpt = await load('previous.ckpt');
 *   else throw err;
 * }
 * ```
 */
export class CheckpointError extends LoomError {
  declare readonly code: CheckpointErrorCode;
  /** The file (or in-memory source name) concerned. */
  readonly file: string;

  constructor(code: CheckpointErrorCode, file: string, message: string, options: { help?: string; cause?: unknown } = {}) {
    super(code, message, options.help);
    this.file = file;
    if (options.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** The `code` of a Node.js system error (`ENOENT`, `ENOSPC`, ...), if it is one. */
export function systemErrorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('E') ? code : undefined;
}

/** Wraps a file-system failure as a `LOOM_CHECKPOINT_IO` error naming `file`. */
export function ioError(op: string, verb: 'read' | 'write', file: string, err: unknown): CheckpointError {
  const reason = err instanceof Error ? err.message : String(err);
  return new CheckpointError('LOOM_CHECKPOINT_IO', file, `${op}: cannot ${verb} '${file}': ${reason}`, { cause: err });
}
