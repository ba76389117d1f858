/**
 * `loom worker [JOB] --coordinator HOST:PORT`: one rank of distributed training. The
 * coordinator's address may also come from torchrun's `MASTER_ADDR`/`MASTER_PORT`,
 * and a fixed rank from `RANK`. Rank 0 prints the seed's lines and writes the run
 * directory (metrics, TensorBoard events, checkpoints).
 */
import { ready } from '@loom/tensor';
import { Trainer, loadJob } from '@loom/trainer';
import { joinGroup, modelSignature } from '@loom/coordinator';
import { parseArgs, UsageError, type FlagSpec } from '../args/flags';
import { ProgressBar } from '../output/progress';
import { RunDirectory, checkpointDirOf } from '../output/run-dir';
import type { Command } from './command';
import { TRAINING_FLAGS, resolveTrainingConfig } from './training-flags';

const FLAGS: Record<string, FlagSpec> = {
  coordinator: { type: 'string', help: "the coordinator's HOST:PORT", defaultText: '$MASTER_ADDR:$MASTER_PORT' },
  rank: { type: 'int', min: 0, help: 'ask for this rank', defaultText: '$RANK, else any' },
  ...TRAINING_FLAGS,
};

/** The coordinator address from the flag or torchrun's environment. */
export function coordinatorAddress(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) {
    if (!/^[^\s:]+:\d+$/.test(flag) && !/^\[[^\]]+\]:\d+$/.test(flag)) throw new UsageError(`--coordinator: invalid value '${flag}': expected HOST:PORT`);
    return flag;
  }
  const host = env['MASTER_ADDR'];
  const port = env['MASTER_PORT'];
  if (host && port) return `${host}:${port}`;
  throw new UsageError('--coordinator HOST:PORT is required (or set MASTER_ADDR and MASTER_PORT)');
}

export const workerCommand: Command = {
  name: 'worker',
  summary: 'join a coordinator as one rank of data-parallel training',
  usage: 'loom worker JOB --coordinator HOST:PORT [flags]',
  flags: FLAGS,
  async run(argv) {
    const args = parseArgs(argv, FLAGS);
    const address = coordinatorAddress(args.flags['coordinator'] as string | undefined);
    const envRank = process.env['RANK'];
    const requestedRank = (args.flags['rank'] as number | undefined) ?? (envRank !== undefined && envRank !== '' ? Number(envRank) : undefined);
    if (requestedRank !== undefined && (!Number.isInteger(requestedRank) || requestedRank < 0)) throw new UsageError(`RANK: invalid value '${envRank}': expected a non-negative integer`);
    const config = resolveTrainingConfig(args, 'worker');
    const job = loadJob(config.job);
    await ready();
    const probe = job.model();
    const signature = modelSignature(job.name, [...probe.namedParameters()].map(([name, p]) => ({ name, shape: p.shape, dtype: p.dtype })));
    const group = await joinGroup({ coordinator: address, jobSignature: signature, requestedRank });
    const isRankZero = group.rank === 0;
    const runDir = isRankZero ? new RunDirectory(config.runDir, { command: 'worker', workers: group.worldSize, ...config }, group.worldSize) : null;
    const progress = new ProgressBar(process.stderr, group.worldSize);
    try {
      const trainer = new Trainer(job, {
        epochs: config.epochs,
        batchSize: config.batchSize,
        lr: config.lr,
        seed: config.seed,
        dataRoot: config.dataRoot,
        download: config.download,
        processGroup: group,
        checkpointDir: checkpointDirOf(config.runDir),
        checkpointEvery: config.checkpointEvery,
        resumeFrom: config.resume ?? undefined,
        callbacks: runDir ? [runDir, progress] : [],
        print: (line) => {
          progress.clear();
          process.stdout.write(`${line}\n`);
        },
      });
      await trainer.fit();
    } finally {
      runDir?.close();
      await group.close();
    }
    return 0;
  },
};
