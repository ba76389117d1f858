/**
 * The coordinator's checkpoint folder: checkpoints uploaded by rank 0 (`SaveCheckpoint`)
 * are checked (length, SHA-256, decodable as a `loom.v1.Checkpoint`), saved with
 * @loom/nn's `save` as `<dir>/step-NNNNNNNN.ckpt` (atomic: temporary file, fsync,
 * rename), and only then are files beyond the newest `keep` removed, so a crash or a
 * full disk never leaves the run without its previous good checkpoint. The names are
 * the ones `loom train` writes, so either run's checkpoints resume the other.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeCheckpoint, save } from '@loom/nn';
import { ready } from '@loom/tensor';
import { CoordinatorError } from '../errors';
import { CheckpointAssembly } from '../protocol/checkpoint-transfer';
import type { CheckpointChunk, CheckpointSaved } from '../protocol/messages';

/** The trainer's naming: zero-padded steps sort in step order. */
const STEP_DIGITS = 8;
/** Names this store writes (and rotates). */
const CHECKPOINT_NAME = /^step-\d+\.ckpt$/;
/** Checkpoints kept by default: the trainer's default (3). */
export const DEFAULT_KEEP_CHECKPOINTS = 3;
/** Largest checkpoint accepted by default: 4 GiB, far above any model Loom trains on CPU. */
export const DEFAULT_MAX_CHECKPOINT_BYTES = 4 * 1024 ** 3;

/** Options of {@link CheckpointStore}. */
export interface CheckpointStoreOptions {
  /** Files kept (default 3). */
  keep?: number;
  /** Largest upload accepted (default 4 GiB). */
  maxBytes?: number;
}

/**
 * Saves uploaded checkpoints and keeps the newest `keep`.
 *
 * @example
 * ```ts
 * const store = new CheckpointStore('runs/a/checkpoints');
 * const upload = store.begin(firstChunk); upload.add(firstChunk); ... (a CheckpointAssembly)
 * const saved = await store.commit(upload); // { path: 'runs/a/checkpoints/step-00000010.ckpt', ... }
 * ```
 */
export class CheckpointStore {
  readonly keep: number;
  readonly maxBytes: number;
  private readonly written: string[] = [];

  constructor(
    readonly dir: string,
    options: CheckpointStoreOptions = {},
  ) {
    this.keep = options.keep ?? DEFAULT_KEEP_CHECKPOINTS;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_CHECKPOINT_BYTES;
    if (!Number.isInteger(this.keep) || this.keep < 1) throw new CoordinatorError('INVALID_OPTION', `CheckpointStore: keep must be a positive integer, got ${this.keep}`);
    // A resumed run (or a restarted coordinator) keeps rotating the files already there.
    if (fs.existsSync(dir)) this.written.push(...fs.readdirSync(dir).filter((f) => CHECKPOINT_NAME.test(f)).sort().map((f) => path.join(dir, f)));
  }

  /** The file of the checkpoint taken after `step`. */
  fileOf(step: number): string {
    return path.join(this.dir, `step-${String(step).padStart(STEP_DIGITS, '0')}.ckpt`);
  }

  /** Checks an upload's first chunk and starts receiving it. */
  begin(first: CheckpointChunk): CheckpointAssembly {
    return new CheckpointAssembly('SaveCheckpoint', first, this.maxBytes);
  }

  /**
   * Receives a whole upload (a `SaveCheckpoint` call's chunks) and commits it.
   * `identify(first)` checks the sender when the first chunk arrives (it throws for an
   * unknown lease) before anything is buffered.
   */
  async receive(chunks: AsyncIterable<CheckpointChunk>, identify: (first: CheckpointChunk) => void): Promise<{ saved: CheckpointSaved; first: CheckpointChunk }> {
    let upload: CheckpointAssembly | null = null;
    for await (const chunk of chunks) {
      if (!upload) {
        identify(chunk);
        upload = this.begin(chunk);
      }
      upload.add(chunk);
    }
    if (!upload) throw new CoordinatorError('CHECKPOINT_REJECTED', 'SaveCheckpoint: the upload had no chunks');
    return { saved: await this.commit(upload), first: upload.first };
  }

  /** Verifies, decodes and saves an upload; then removes the oldest files beyond `keep`. */
  async commit(upload: CheckpointAssembly): Promise<CheckpointSaved> {
    const bytes = upload.bytes();
    await ready();
    const file = this.fileOf(upload.first.step);
    let value: unknown;
    try {
      // Decoding proves the bytes are a checkpoint @loom/nn can load before they replace anything.
      value = decodeCheckpoint(bytes, `checkpoint of step ${upload.first.step} from worker ${upload.first.workerId}`);
    } catch (e) {
      throw new CoordinatorError('CHECKPOINT_REJECTED', `SaveCheckpoint: the ${bytes.length} bytes received are not a loom.v1.Checkpoint: ${(e as Error).message}`);
    }
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      await save(value, file);
    } catch (e) {
      throw new CoordinatorError('CHECKPOINT_UNAVAILABLE', `SaveCheckpoint: could not write ${file}: ${(e as Error).message}`, 'the previous checkpoints were left as they were; free disk space or move the run dir');
    } finally {
      disposeTensors(value);
    }
    if (!this.written.includes(file)) this.written.push(file);
    const removed: string[] = [];
    while (this.written.length > this.keep) {
      const old = this.written.shift() as string;
      fs.rmSync(old, { force: true });
      removed.push(old);
    }
    return { path: file, bytes: bytes.length, removed };
  }
}

/** Frees the tensors of a decoded checkpoint (they are not garbage-collected). */
function disposeTensors(value: unknown, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 100) return;
  const maybe = value as { dispose?: () => void; shape?: unknown };
  if (typeof maybe.dispose === 'function' && Array.isArray(maybe.shape)) return maybe.dispose();
  for (const v of value instanceof Map ? value.values() : Object.values(value)) disposeTensors(v, depth + 1);
}
