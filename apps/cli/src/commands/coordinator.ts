/**
 * `loom coordinator [JOB] --host H --port P --min-workers N --max-workers M`: the
 * coordinator of a multi-node run. It waits for `minWorkers` (up to `maxWorkers`),
 * assigns ranks and ring neighbours, tracks heartbeats, and exits when every worker has
 * left (0) or the rendezvous failed (1). Workers start with `loom worker JOB
 * --coordinator HOST:PORT`.
 */
import { CoordinatorServer, coordinatorSecurity, describeSecurity, modelSignature, type MembershipChange, type ResumeCheckpointFile, type StepMetrics } from '@loom/coordinator';
import { ready } from '@loom/tensor';
import { latestValidCheckpoint, loadJob } from '@loom/trainer';
import { load } from '@loom/nn';
import { parseArgs, UsageError, type FlagSpec } from '../args/flags';
import * as path from 'node:path';
import { ClusterMetricsWriter } from '../output/cluster-metrics';
import { checkpointDirOf, defaultRunDir } from '../output/run-dir';
import type { Command } from './command';
import { sharedTrainingConfig } from './shared-config';
import { TRAINING_FLAGS } from './training-flags';
import { COORDINATOR_LIMIT_FLAGS, SECURITY_FLAGS, coordinatorLimits, resolveSecurityFlags } from './security-flags';

/** torchrun's default rendezvous port. */
const DEFAULT_PORT = 29500;
/** Loopback unless asked: listening elsewhere exposes the job to the network. */
const DEFAULT_HOST = '127.0.0.1';

const FLAGS: Record<string, FlagSpec> = {
  host: { type: 'string', help: 'address to bind', defaultText: DEFAULT_HOST },
  port: { type: 'int', min: 0, max: 65535, help: 'port to listen on (0: any free port)', defaultText: String(DEFAULT_PORT) },
  'min-workers': { type: 'int', min: 1, help: 'workers to wait for before training starts', defaultText: '1' },
  'max-workers': { type: 'int', min: 1, help: 'most workers admitted', defaultText: '--min-workers' },
  'rendezvous-timeout': { type: 'int', min: 1, help: 'seconds to wait for --min-workers', defaultText: '600' },
  'last-call': { type: 'float', min: 0, help: 'seconds to wait for more workers (up to --max-workers) once --min-workers joined', defaultText: '30' },
  'heartbeat-timeout': { type: 'float', min: 0.2, help: 'seconds of silence after which a worker is declared dead (heartbeats every fifth of it)', defaultText: '5' },
  // The training flags are sent to workers started without JOB (shared-config.ts);
  // --run-dir is where the coordinator writes checkpoints/; --resume finds the latest valid
  // one, which new workers download (LoadCheckpoint).
  ...TRAINING_FLAGS,
  ...SECURITY_FLAGS,
  ...COORDINATOR_LIMIT_FLAGS,
  help: { type: 'bool', help: 'show this help' },
};

/** Heartbeats per timeout (the coordinator's default: 1 s beats, 5 s timeout). */
const BEATS_PER_TIMEOUT = 5;

/** The coordinator's heartbeat options for `--heartbeat-timeout SECONDS`. */
export function heartbeatOptions(seconds: number | undefined): { heartbeatTimeoutMs?: number; heartbeatIntervalMs?: number } {
  if (seconds === undefined) return {};
  const heartbeatTimeoutMs = Math.round(seconds * 1000);
  return { heartbeatTimeoutMs, heartbeatIntervalMs: Math.max(1, Math.round(heartbeatTimeoutMs / BEATS_PER_TIMEOUT)) };
}

/**
 * `--resume` (issue 7, fault 4): the restarted coordinator finds the run's latest valid
 * checkpoint (or the one named) and says where the run stands. Workers still running
 * rejoin on their own (with backoff) and keep their in-memory state, which is at least
 * as recent; workers that start without state download the checkpoint from the
 * coordinator (`LoadCheckpoint`), so no file has to be copied to their machines.
 */
async function findResume(dir: string, named: string): Promise<ResumeCheckpointFile | null> {
  const found = named ? { file: named, value: await load(named) } : await latestValidCheckpoint(dir);
  if (!found) {
    process.stderr.write(`[loom] --resume: no valid checkpoint in ${dir}; running workers rejoin with their own state\n`);
    return null;
  }
  const state = found.value as { step?: number; epoch?: number; batch?: number };
  const resume = { file: path.resolve(found.file), step: state.step ?? 0, epoch: state.epoch ?? 0, batch: state.batch ?? 0 };
  process.stderr.write(
    `[loom] resuming: latest valid checkpoint ${found.file} (step ${resume.step}, epoch ${resume.epoch + 1}, batch ${resume.batch}); running workers rejoin with their in-memory state, new workers download this checkpoint\n`,
  );
  return resume;
}

export const coordinatorCommand: Command = {
  name: 'coordinator',
  summary: 'run the coordinator of a multi-node job (rendezvous, ranks, heartbeats)',
  usage: 'loom coordinator [JOB] --host H --port P --min-workers N [--max-workers M]',
  flags: FLAGS,
  async run(argv) {
    const args = parseArgs(argv, FLAGS);
    const { flags, positionals } = args;
    const minWorkers = (flags['min-workers'] as number | undefined) ?? 1;
    const maxWorkers = (flags['max-workers'] as number | undefined) ?? minWorkers;
    if (maxWorkers < minWorkers) throw new UsageError(`--max-workers: invalid value '${maxWorkers}': expected at least --min-workers (${minWorkers})`);
    let jobSignature: string | undefined;
    const [jobPath] = positionals;
    if (jobPath) {
      // With the job at hand, workers running another model are refused at Join.
      const job = loadJob(jobPath);
      await ready();
      jobSignature = modelSignature(job.name, [...job.model().namedParameters()].map(([name, p]) => ({ name, shape: p.shape, dtype: p.dtype })));
    }
    const host = (flags['host'] as string | undefined) ?? DEFAULT_HOST;
    const runDir = (flags['run-dir'] as string | undefined) ?? defaultRunDir();
    const security = resolveSecurityFlags(flags, host);
    const resume = flags['resume'] !== undefined ? await findResume(checkpointDirOf(runDir), flags['resume'] as string) : null;
    const coordinator = new CoordinatorServer({
      minWorkers,
      maxWorkers,
      host,
      port: (flags['port'] as number | undefined) ?? DEFAULT_PORT,
      rendezvousTimeoutMs: ((flags['rendezvous-timeout'] as number | undefined) ?? 600) * 1000,
      ...(flags['last-call'] !== undefined ? { lastCallMs: Math.round((flags['last-call'] as number) * 1000) } : {}),
      ...heartbeatOptions(flags['heartbeat-timeout'] as number | undefined),
      checkpointDir: checkpointDirOf(runDir),
      ...(jobPath ? { jobPath: path.resolve(jobPath), trainingConfig: sharedTrainingConfig(args) } : {}),
      jobSignature,
      ...(resume ? { resumeCheckpoint: resume } : {}),
      ...coordinatorSecurity(security),
      ...coordinatorLimits(flags),
    });
    const address = await coordinator.start();
    process.stderr.write(`[loom] coordinator listening on ${address} (security: ${describeSecurity(security)}); waiting for ${minWorkers}${maxWorkers > minWorkers ? `-${maxWorkers}` : ''} workers\n`);
    const cluster = new ClusterMetricsWriter(runDir);
    coordinator.on('step-metrics', (m: StepMetrics) => cluster.add(m));
    let failed = false;
    try {
      const membership = await coordinator.ready();
      process.stderr.write(`[loom] group formed: ${membership.members.length} workers (membership epoch ${membership.epoch})\n`);
      await new Promise<void>((resolve) => {
        coordinator.on('membership-changed', (change: MembershipChange) => {
          process.stderr.write(`[loom] membership epoch ${change.membership.epoch}: ${change.reason}; ${change.membership.members.length} workers\n`);
          if (change.membership.members.length === 0) resolve();
        });
        coordinator.on('group-failed', (e: Error) => {
          process.stderr.write(`loom coordinator: ${e.message}\n`);
          failed = true;
          resolve();
        });
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    } finally {
      // Also after a failed rendezvous: an open server would keep the process alive.
      await coordinator.close();
      cluster.close();
    }
    return failed ? 1 : 0;
  },
};
