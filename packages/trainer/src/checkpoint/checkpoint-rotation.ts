/**
 * Writing `<dir>/step-NNNNNNNN.ckpt` and keeping the last K. The order is what keeps
 * a run safe on a full disk:
 *
 *   save (temp file, fsync, rename: atomic)  ->  only then delete the oldest beyond K
 *
 * so the previous good checkpoint is never removed before the new one is complete
 * under its final name; if the save fails nothing is deleted, no temporary file is
 * left, and the error names the file, the cause (ENOSPC, ...) and the checkpoint a
 * resume would use.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { save, CheckpointError } from '@loom/nn';
import { LoomError } from '@loom/tensor';
import { TrainerConfigError } from '../errors';
import { listCheckpoints } from './latest-valid-checkpoint';

/** Zero-padding of step numbers, so names sort in step order. */
const STEP_DIGITS = 8;

/**
 * A checkpoint could not be written. `cause` is the `@loom/nn` error (with the
 * system error, e.g. `ENOSPC`, as its own cause).
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof CheckpointWriteError) console.error(err.file, err.systemCode); }
 * ```
 */
export class CheckpointWriteError extends LoomError {
  constructor(
    readonly file: string,
    /** The system error code (`ENOSPC`, `EIO`, ...), when the file system refused. */
    readonly systemCode: string | null,
    /** The newest other checkpoint of the folder, which a resume would use. */
    readonly previous: string | null,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    super(
      'LOOM_CHECKPOINT_WRITE',
      `could not write checkpoint ${file}${systemCode ? ` (${systemCode})` : ''}: ${reason}; training stopped`,
      `${systemCode === 'ENOSPC' ? 'free disk space (or use another --run-dir), then ' : ''}${previous ? `resume with --resume: the previous checkpoint ${previous} was left as it was` : 'no earlier checkpoint exists: start again'}`,
    );
    (this as { cause?: unknown }).cause = cause;
  }
}

/** The system error code at the bottom of an error's cause chain. */
function systemCodeOf(err: unknown): string | null {
  for (let e = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  }
  return null;
}

/**
 * Saves numbered checkpoints into a folder and keeps the newest `keep`.
 *
 * @example
 * ```ts
 * const rotation = new CheckpointRotation('runs/a/checkpoints', 3);
 * await rotation.write(trainer.trainingState(epoch, batch), step); // runs/a/checkpoints/step-00000042.ckpt
 * ```
 */
export class CheckpointRotation {
  /** Files written by this rotation, oldest first. */
  private readonly written: string[] = [];

  constructor(
    readonly dir: string,
    readonly keep: number,
  ) {
    if (!Number.isInteger(keep) || keep < 1) throw new TrainerConfigError(`keepCheckpoints must be a positive integer, got ${keep}`);
  }

  /** The file name of the checkpoint of `step`. */
  fileOf(step: number): string {
    return path.join(this.dir, `step-${String(step).padStart(STEP_DIGITS, '0')}.ckpt`);
  }

  /** Writes `state` as the checkpoint of `step`, then prunes; returns the file. */
  async write(state: unknown, step: number): Promise<string> {
    const file = this.fileOf(step);
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      await save(state, file);
    } catch (err) {
      if (!(err instanceof CheckpointError) && systemCodeOf(err) === null) throw err;
      let previous: string | null = null;
      try {
        previous = listCheckpoints(this.dir).find((f) => f !== file) ?? null;
      } catch {
        // An unreadable folder only costs the hint; the write error is what matters.
      }
      throw new CheckpointWriteError(file, systemCodeOf(err), previous, err);
    }
    // The same step can be written twice (a resumed run, skipped steps): keep one entry.
    const again = this.written.indexOf(file);
    if (again !== -1) this.written.splice(again, 1);
    this.written.push(file);
    while (this.written.length > this.keep) fs.rmSync(this.written.shift() as string, { force: true });
    return file;
  }
}
