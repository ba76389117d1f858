/**
 * The training configuration a coordinator shares with its workers (issue 6): `loom
 * coordinator JOB --epochs 2 ...` sends the job's path and these flags in every
 * JoinResponse, so that `loom worker --coordinator HOST:PORT` needs no JOB. A flag
 * given to the worker itself wins over the coordinator's.
 */
import * as path from 'node:path';
import type { ParsedArgs } from '../args/flags';

/** Flags shared with workers, by their name in the JSON. */
export const SHARED_FLAGS: Record<string, string> = {
  epochs: 'epochs',
  batchSize: 'batch-size',
  lr: 'lr',
  seed: 'seed',
  checkpointEvery: 'checkpoint-every',
  dataRoot: 'data-root',
  download: 'download',
};

/**
 * The shared part of a coordinator's flags, for `CoordinatorServer`'s `trainingConfig`.
 *
 * @example
 * ```ts
 * sharedTrainingConfig(parseArgs(['--epochs', '2'], FLAGS)); // { epochs: 2 }
 * ```
 */
export function sharedTrainingConfig(args: ParsedArgs): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, flag] of Object.entries(SHARED_FLAGS)) if (args.flags[flag] !== undefined) out[key] = args.flags[flag];
  return out;
}

/**
 * `args` completed with the coordinator's job and shared flags: JOB when the worker has
 * none, and each shared flag the worker did not set.
 *
 * @example
 * ```ts
 * withCoordinatorJob(args, { jobPath: '/jobs/mnist.ts', trainingConfigJson: '{"epochs":2}' });
 * ```
 */
export function withCoordinatorJob(args: ParsedArgs, joined: { jobPath: string; trainingConfigJson: string }): ParsedArgs {
  const shared = joined.trainingConfigJson ? (JSON.parse(joined.trainingConfigJson) as Record<string, string | number | boolean>) : {};
  const flags = { ...args.flags };
  for (const [key, flag] of Object.entries(SHARED_FLAGS)) if (flags[flag] === undefined && shared[key] !== undefined) flags[flag] = shared[key] as string | number | boolean;
  return { flags, positionals: args.positionals.length > 0 ? args.positionals : [path.resolve(joined.jobPath)] };
}
