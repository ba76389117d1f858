/**
 * `--resume [FILE]`: which checkpoint a run continues from. A named FILE must verify
 * (no silent fallback to another file: the user asked for that one). Without FILE, the
 * newest checkpoint of the run directory that verifies is used; damaged newer ones
 * (cut short by a full disk or a crash, bit flips) are reported on stderr and skipped.
 */
import { load } from '@loom/nn';
import { LoomError, Tensor } from '@loom/tensor';
import { latestValidCheckpoint } from '@loom/trainer';
import { UsageError } from '../args/flags';
import { checkpointDirOf } from '../output/run-dir';

/**
 * A checkpoint named with `--resume FILE` that cannot be used.
 *
 * @example
 * ```ts
 * await resolveResume('runs/a/checkpoints/step-00000020.ckpt', 'runs/a', console.error); // throws ResumeError when damaged
 * ```
 */
export class ResumeError extends LoomError {
  constructor(file: string, reason: string, runDir: string) {
    super(
      'LOOM_RESUME',
      `--resume: cannot resume from ${file}: ${reason}`,
      `name an intact checkpoint, or pass --resume without a FILE to use the newest checkpoint of ${checkpointDirOf(runDir)} that verifies`,
    );
  }
}

/** Frees the tensors of a checkpoint read only to verify it (tensors are not garbage-collected). */
function disposeTensors(value: unknown): void {
  if (value instanceof Tensor) value.dispose();
  else if (value instanceof Map) for (const v of value.values()) disposeTensors(v);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) disposeTensors(v);
}

/** The first line of a refusal, without the loader's "load: 'FILE'" prefix (the file is named already). */
function reasonOf(message: string, file: string): string {
  const line = message.split('\n')[0] as string;
  const prefix = `load: '${file}' `;
  return line.startsWith(prefix) ? `it ${line.slice(prefix.length)}` : line;
}

/**
 * The checkpoint file to resume from: `file` when given (after verifying it), else the
 * newest valid one of `runDir`, with a line to `warn` for each damaged file skipped.
 *
 * @example
 * ```ts
 * const resume = await resolveResume('', 'runs/a', (line) => process.stderr.write(`${line}\n`));
 * ```
 */
export async function resolveResume(file: string, runDir: string, warn: (line: string) => void): Promise<string> {
  if (file) {
    try {
      disposeTensors(await load(file));
    } catch (err) {
      if (!(err instanceof LoomError)) throw err;
      throw new ResumeError(file, reasonOf(err.message, file), runDir);
    }
    return file;
  }
  const dir = checkpointDirOf(runDir);
  const found = await latestValidCheckpoint(dir);
  if (!found) throw new UsageError(`--resume: no checkpoint found in ${dir}: name a FILE or a --run-dir with checkpoints`);
  // The Trainer loads the file again; the verified copy is not kept twice in memory.
  disposeTensors(found.value);
  for (const r of found.rejected) warn(`[loom] --resume: skipping ${r.file}: ${reasonOf(r.reason, r.file)}`);
  if (found.rejected.length > 0) warn(`[loom] --resume: resuming from ${found.file}, the newest checkpoint that verifies`);
  return found.file;
}
