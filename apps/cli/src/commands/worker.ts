/**
 * `loom worker [JOB] --coordinator HOST:PORT`: one rank of distributed training. The
 * coordinator's address may also come from torchrun's `MASTER_ADDR`/`MASTER_PORT`,
 * and a fixed rank from `RANK`. Rank 0 prints the seed's lines and writes the run
 * directory (metrics, TensorBoard events, checkpoints).
 */
import { decodeCheckpoint, encodeCheckpoint } from '@loom/nn';
import { ready } from '@loom/tensor';
import * as fs from 'node:fs';
import { SampleLog, Trainer, loadJob, parameterDigest, type Job, type TrainingState } from '@loom/trainer';
import { StepReporter, coordinatorGone, describeSecurity, joinGroup, modelSignature, workerSecurity } from '@loom/coordinator';
import { parseArgs, UsageError, type FlagSpec } from '../args/flags';
import { ProgressBar } from '../output/progress';
import { RankZeroRunDirectory } from '../output/rank-zero-run-dir';
import { RunDirectory } from '../output/run-dir';
import type { Command } from './command';
import { withCoordinatorJob } from './shared-config';
import { TRAINING_FLAGS, resolveTrainingConfig } from './training-flags';
import { WORKER_SECURITY_FLAGS, peerBind, resolveSecurityFlags } from './security-flags';

/**
 * Debugging aid of the chaos tests: when set, every committed step appends the samples
 * this worker trained on to this file, and the end of training the parameters' digest.
 */
export const SAMPLE_LOG_ENV = 'LOOM_DEBUG_SAMPLE_LOG';

const FLAGS: Record<string, FlagSpec> = {
  coordinator: { type: 'string', help: "the coordinator's HOST:PORT", defaultText: '$MASTER_ADDR:$MASTER_PORT' },
  rank: { type: 'int', min: 0, help: 'ask for this rank', defaultText: '$RANK, else any' },
  ...WORKER_SECURITY_FLAGS,
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
  usage: 'loom worker [JOB] --coordinator HOST:PORT [flags] (JOB and training flags default to the coordinator\'s)',
  flags: FLAGS,
  async run(argv) {
    const args = parseArgs(argv, FLAGS);
    const address = coordinatorAddress(args.flags['coordinator'] as string | undefined);
    const envRank = process.env['RANK'];
    const requestedRank = (args.flags['rank'] as number | undefined) ?? (envRank !== undefined && envRank !== '' ? Number(envRank) : undefined);
    if (requestedRank !== undefined && (!Number.isInteger(requestedRank) || requestedRank < 0)) throw new UsageError(`RANK: invalid value '${envRank}': expected a non-negative integer`);
    const { host, port } = peerBind(args.flags);
    const security = resolveSecurityFlags(args.flags, host);
    await ready();
    // Without JOB the worker joins with an empty signature and runs the coordinator's job.
    const [jobArg] = args.positionals;
    const signatureOf = (jobPath: string): [Job, string] => {
      const job = loadJob(jobPath);
      return [job, modelSignature(job.name, [...job.model().namedParameters()].map(([name, p]) => ({ name, shape: p.shape, dtype: p.dtype })))];
    };
    const mine = jobArg ? signatureOf(jobArg) : null;
    const group = await joinGroup({ coordinator: address, jobSignature: mine?.[1] ?? '', requestedRank, host, port, ...workerSecurity(security) });
    let job: Job;
    let config: Awaited<ReturnType<typeof resolveTrainingConfig>>;
    try {
      if (!jobArg && !group.joined.jobPath) throw new UsageError('worker: missing JOB, and the coordinator was started without one: pass JOB to the worker or to `loom coordinator`');
      config = await resolveTrainingConfig(withCoordinatorJob(args, group.joined), 'worker');
      const [loaded, signature] = mine ?? signatureOf(config.job);
      if (signature !== group.joined.jobSignature) throw new UsageError(`worker: the coordinator's job ${config.job} has signature ${group.joined.jobSignature}, loaded here it has ${signature}: keep the same job file at the same path on every machine`);
      job = loaded;
    } catch (e) {
      await group.close({ reason: (e as Error).message });
      throw e;
    }
    let resumeFrom: string | TrainingState | undefined = config.resume ?? undefined;
    if (resumeFrom === undefined && !group.joinedRunning) {
      // A resumed coordinator offers its checkpoint to workers that start without state.
      const offered = await group.loadResumeCheckpoint();
      if (offered) {
        resumeFrom = decodeCheckpoint(offered.bytes, `the coordinator's checkpoint of step ${offered.step}`) as TrainingState;
        process.stderr.write(`[loom] resuming from the coordinator's checkpoint: step ${offered.step}, epoch ${offered.epoch + 1}, batch ${offered.batch} (${offered.bytes.length} bytes)\n`);
      }
    }
    const isRankZero = group.rank === 0;
    const runConfig = { command: 'worker', workers: group.worldSize, ...config, security: describeSecurity(security) };
    const runDir = new RankZeroRunDirectory(() => new RunDirectory(config.runDir, runConfig, group.worldSize), () => group.rank);
    const progress = new ProgressBar(process.stderr, group.worldSize);
    const sampleLogFile = process.env[SAMPLE_LOG_ENV];
    let failure: Error | null = null;
    const reporter = new StepReporter(group);
    try {
      const sampleLog = sampleLogFile ? [new SampleLog(sampleLogFile, () => trainer.runContext)] : [];
      const trainer: Trainer = new Trainer(job, {
        epochs: config.epochs,
        batchSize: config.batchSize,
        lr: config.lr,
        seed: config.seed,
        dataRoot: config.dataRoot,
        download: config.download,
        processGroup: group,
        // Rank 0 sends its checkpoints to the coordinator, which writes the run's checkpoints/.
        checkpointWriter: async (state) => {
          // A coordinator being restarted: training goes on over the ring; the next checkpoint goes to the new one.
          let why = 'the coordinator is being joined again';
          try {
            if ((await group.saveCheckpoint(encodeCheckpoint(state), { step: state.step, epoch: state.epoch, batch: state.batch })) !== null) return;
          } catch (e) {
            if (!coordinatorGone(e)) throw e;
            why = `the coordinator is unreachable (${(e as Error).message.split('\n')[0]})`;
          }
          process.stderr.write(`[loom] warning: checkpoint of step ${state.step} not saved: ${why}; training goes on\n`);
        },
        checkpointEvery: config.checkpointEvery,
        skipNonFiniteSteps: config.skipNonFiniteSteps,
        resumeFrom,
        callbacks: [runDir, ...(isRankZero ? [progress] : []), reporter, ...sampleLog],
        print: (line) => {
          progress.clear();
          process.stdout.write(`${line}\n`);
        },
      });
      await trainer.fit();
      if (sampleLogFile) {
        fs.appendFileSync(sampleLogFile, `${JSON.stringify({ kind: 'final', pid: process.pid, rank: group.rank, worldSize: group.worldSize, digest: parameterDigest(trainer.trainedModel) })}\n`);
      }
    } catch (e) {
      failure = e as Error;
      throw e;
    } finally {
      runDir.close();
      // The last steps' metrics reach the coordinator before this worker leaves.
      await reporter.flush();
      await group.close({ reason: failure ? `failed: ${failure.message.split('\n')[0]}` : 'finished' });
    }
    return 0;
  },
};
