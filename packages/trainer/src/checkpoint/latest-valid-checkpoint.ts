/**
 * Finding the checkpoint to resume from: the newest file of a checkpoint folder that
 * verifies (SHA-256 and full decode, and, given a job name, a training checkpoint of
 * that job). A file cut short by a full disk, a crash during a copy or a flipped bit is
 * reported and the next older one is tried, so one damaged file never loses a run.
 * Used by `loom train/launch --resume` and the coordinator's `--resume`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { load } from '@loom/nn';
import { LoomError } from '@loom/tensor';
import { checkTrainingState } from './training-state';

/** Checkpoint file names end with this; the atomic writer's temporary files end in `.tmp`. */
const CHECKPOINT_SUFFIX = '.ckpt';
/** `step-00000042.ckpt`, as the Trainer and the coordinator name checkpoints. */
const STEP_NAME = /^step-(\d+)\.ckpt$/;

/** A checkpoint that was tried and refused. */
export interface RejectedCheckpoint {
  file: string;
  /** The error's code (`LOOM_CHECKPOINT_CORRUPTED`, ...), when it has one. */
  code: string | null;
  /** Why it was refused (the error's message). */
  reason: string;
}

/** What {@link latestValidCheckpoint} found. */
export interface ValidCheckpoint {
  /** The newest file that verifies. */
  file: string;
  /** Its decoded content. */
  value: unknown;
  /** Newer files that were refused, newest first. */
  rejected: RejectedCheckpoint[];
}

/** Options of {@link latestValidCheckpoint}. */
export interface LatestValidCheckpointOptions {
  /** Also require a `loom.training/1` checkpoint of this job. */
  jobName?: string;
}

/**
 * No checkpoint of a folder verifies. `rejected` lists every file tried, with why.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof NoValidCheckpointError) for (const r of err.rejected) console.error(r.file, r.reason); }
 * ```
 */
export class NoValidCheckpointError extends LoomError {
  constructor(
    readonly dir: string,
    readonly rejected: RejectedCheckpoint[],
  ) {
    super(
      'LOOM_NO_VALID_CHECKPOINT',
      `no valid checkpoint in ${dir}: all ${rejected.length} failed to verify:\n${rejected.map((r) => `  ${path.basename(r.file)}: ${firstLine(r.reason)}`).join('\n')}`,
      'name an intact checkpoint file to resume from, or start the run afresh without --resume',
    );
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0] as string;
}

/**
 * The checkpoint files of `dir`, newest first: `step-N.ckpt` by N (descending), then
 * any other `.ckpt` files by modification time. Empty when `dir` does not exist.
 *
 * @example
 * ```ts
 * listCheckpoints('runs/a/checkpoints'); // ['runs/a/checkpoints/step-00000020.ckpt', '.../step-00000010.ckpt']
 * ```
 */
export function listCheckpoints(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return [];
    throw err;
  }
  const entries = names
    .filter((name) => name.endsWith(CHECKPOINT_SUFFIX) && !name.startsWith('.'))
    .map((name) => {
      const step = STEP_NAME.exec(name)?.[1];
      const file = path.join(dir, name);
      return { file, step: step === undefined ? -1 : Number(step), mtime: step === undefined ? fs.statSync(file).mtimeMs : 0 };
    });
  entries.sort((a, b) => b.step - a.step || b.mtime - a.mtime || (a.file < b.file ? 1 : -1));
  return entries.map((e) => e.file);
}

/**
 * The newest checkpoint of `dir` that verifies, with the newer files that did not and
 * why; null when `dir` holds no checkpoint at all. Throws {@link NoValidCheckpointError}
 * when there are checkpoints but none verifies. Each candidate is fully read (its
 * SHA-256 covers every byte), so the returned `value` can be used without reading it again.
 *
 * @example
 * ```ts
 * const found = await latestValidCheckpoint('runs/a/checkpoints', { jobName: job.name });
 * for (const r of found?.rejected ?? []) console.error(`skipping ${r.file}: ${r.reason}`);
 * if (found) await new Trainer(job, { resumeFrom: found.value as TrainingState }).fit();
 * ```
 */
export async function latestValidCheckpoint(dir: string, options: LatestValidCheckpointOptions = {}): Promise<ValidCheckpoint | null> {
  const files = listCheckpoints(dir);
  if (files.length === 0) return null;
  const rejected: RejectedCheckpoint[] = [];
  for (const file of files) {
    try {
      const value = await load(file);
      if (options.jobName !== undefined) checkTrainingState(value, options.jobName, file);
      return { file, value, rejected };
    } catch (err) {
      // Only refusals of the file itself fall through to the next one; anything else
      // (a bug, out of memory) must not be mistaken for a damaged checkpoint.
      if (!(err instanceof LoomError)) throw err;
      rejected.push({ file, code: err.code, reason: err.message });
    }
  }
  throw new NoValidCheckpointError(dir, rejected);
}
