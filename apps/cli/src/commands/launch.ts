/**
 * `loom launch --nproc-per-node N JOB`: a coordinator on 127.0.0.1 and N local worker
 * processes, like `torchrun --standalone`. Rank 0's output is shown as is; the other
 * workers' stderr is shown prefixed with their rank. Ctrl-C stops every process
 * cleanly. A worker that fails stops the run with its error, unless `--min-workers`
 * is below N: then the survivors re-form the group and go on while at least that many
 * are alive (NOTE [Elastic recovery] in @loom/coordinator).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { ready } from '@loom/tensor';
import { CoordinatorServer, TOKEN_ENV, bearerTokenAuth, generateToken, type ElasticError, type MembershipChange, type StepMetrics } from '@loom/coordinator';
import { parseArgs, UsageError, type FlagSpec } from '../args/flags';
import type { Command } from './command';
import { heartbeatOptions } from './coordinator';
import { ClusterMetricsWriter } from '../output/cluster-metrics';
import { checkpointDirOf } from '../output/run-dir';
import { TRAINING_FLAGS, resolveTrainingConfig } from './training-flags';

const FLAGS: Record<string, FlagSpec> = {
  'nproc-per-node': { type: 'int', min: 1, max: 64, help: 'worker processes to start on this machine', defaultText: '1' },
  gpus: { type: 'string', help: 'with --device cuda: comma-separated GPU ids, one per worker', defaultText: '0..N-1' },
  'min-workers': { type: 'int', min: 1, max: 64, help: 'keep training while at least this many workers are alive (elastic: a dead or hung worker is dropped and its share re-sharded)', defaultText: 'N: any worker failure stops the run' },
  'rendezvous-timeout': { type: 'float', min: 0.1, help: 'seconds to wait for --min-workers to start and join', defaultText: '120' },
  'heartbeat-timeout': { type: 'float', min: 0.2, help: 'seconds of silence after which a worker is declared dead (heartbeats every fifth of it)', defaultText: '5' },
  ...TRAINING_FLAGS,
};

/** Flags of `launch` alone, not passed on to the workers. */
const LAUNCH_ONLY = new Set(['nproc-per-node', 'gpus', 'min-workers', 'rendezvous-timeout', 'heartbeat-timeout', 'run-dir']);

/** How long a rendezvous of local workers may take before the launch gives up. */
const LOCAL_RENDEZVOUS_TIMEOUT_MS = 120_000;

/** Time given to workers to exit after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 5_000;

/**
 * `argv` with a bare `--resume` replaced by the checkpoint verified here, so that the
 * workers resume from that file rather than each scanning the run dir (and reporting
 * its damaged files) again.
 */
function withResolvedResume(argv: readonly string[], flag: unknown, resolved: string | null): readonly string[] {
  if (flag !== '' || resolved === null) return argv;
  return [...argv.filter((a) => a !== '--resume' && a !== '--resume='), `--resume=${resolved}`];
}

/** The worker's argv: the same JOB and training flags, plus the coordinator. */
function workerArgs(argv: readonly string[], address: string, runDir: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const name = a.startsWith('--') ? a.slice(2).split('=')[0] as string : '';
    if (LAUNCH_ONLY.has(name)) {
      if (!a.includes('=')) i++;
      continue;
    }
    out.push(a);
  }
  return ['worker', ...out, '--coordinator', address, '--run-dir', runDir];
}

export const launchCommand: Command = {
  name: 'launch',
  summary: 'start a coordinator and N local workers (like torchrun --standalone)',
  usage: 'loom launch [--nproc-per-node N] JOB [flags]',
  flags: FLAGS,
  async run(argv) {
    const args = parseArgs(argv, FLAGS);
    const config = await resolveTrainingConfig(args, 'launch');
    const n = (args.flags['nproc-per-node'] as number | undefined) ?? 1;
    const gpus = config.device === 'cuda' ? ((args.flags['gpus'] as string | undefined)?.split(',') ?? Array.from({ length: n }, (_, i) => String(i))) : null;
    if (gpus && gpus.length < n) throw new Error(`--gpus lists ${gpus.length} GPUs for ${n} workers`);
    const minWorkers = (args.flags['min-workers'] as number | undefined) ?? n;
    if (minWorkers > n) throw new UsageError(`--min-workers: invalid value '${minWorkers}': expected at most --nproc-per-node (${n})`);
    const elastic = minWorkers < n;
    const rendezvous = args.flags['rendezvous-timeout'] as number | undefined;
    // A fresh token per launch: other users of this machine can reach 127.0.0.1 too.
    const token = generateToken();
    // The coordinator decodes the checkpoints rank 0 uploads, which starts the backend:
    // start it now, so that its one-line report heads the output instead of landing
    // amid the first epoch's lines.
    await ready();
    const coordinator = new CoordinatorServer({
      minWorkers,
      maxWorkers: n,
      host: '127.0.0.1',
      port: 0,
      authorize: bearerTokenAuth(token),
      rendezvousTimeoutMs: rendezvous !== undefined ? Math.round(rendezvous * 1000) : LOCAL_RENDEZVOUS_TIMEOUT_MS,
      ...heartbeatOptions(args.flags['heartbeat-timeout'] as number | undefined),
      // The coordinator writes the checkpoints that rank 0 uploads.
      checkpointDir: checkpointDirOf(config.runDir),
    });
    const address = await coordinator.start();
    process.stderr.write(`[loom] coordinator on ${address}, ${n} worker${n > 1 ? 's' : ''}${elastic ? ` (elastic: at least ${minWorkers})` : ''}${gpus ? ` on GPUs ${gpus.slice(0, n).join(',')}` : ''}, run dir ${config.runDir}\n`);
    const bin = path.resolve(__dirname, '../../bin/loom.js');
    const children: ChildProcess[] = [];
    let failure: string | null = null;
    const stopAll = (signal: NodeJS.Signals): void => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill(signal);
      setTimeout(() => {
        for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      }, STOP_GRACE_MS).unref();
    };
    const onSigint = (): void => {
      failure ??= 'interrupted';
      stopAll('SIGTERM');
    };
    let succeeded = 0;
    coordinator.on('membership-changed', (change: MembershipChange) => {
      process.stderr.write(`[loom] membership epoch ${change.membership.epoch}: ${change.reason}; ${change.membership.members.length} workers\n`);
      // Every member finished: a worker still running was dropped earlier (a hung one
      // that never woke up) and must not keep the launch waiting.
      if (change.membership.members.length === 0) setTimeout(() => stopAll('SIGKILL'), STOP_GRACE_MS).unref();
    });
    const cluster = new ClusterMetricsWriter(config.runDir);
    coordinator.on('step-metrics', (m: StepMetrics) => cluster.add(m));
    coordinator.on('group-failed', (e: ElasticError) => {
      failure ??= e.message;
      stopAll('SIGTERM');
    });
    coordinator.on('rendezvous-failed', (e: Error) => {
      failure ??= e.message;
      stopAll('SIGTERM');
    });
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
    const exits = Array.from({ length: n }, (_, localRank) => {
      const env: NodeJS.ProcessEnv = { ...process.env, LOCAL_RANK: String(localRank), LOCAL_WORLD_SIZE: String(n), WORLD_SIZE: String(n), RANK: String(localRank) };
      if (gpus) env['CUDA_VISIBLE_DEVICES'] = gpus[localRank] as string;
      // In the environment, not argv: `ps` shows every process's argv to every user.
      env[TOKEN_ENV] = token;
      const child = spawn(process.execPath, [bin, ...workerArgs(withResolvedResume(argv, args.flags['resume'], config.resume), address, config.runDir)], {
        env,
        // Every worker may become rank 0 after a membership change, and only rank 0 prints.
        stdio: ['ignore', 'inherit', 'pipe'],
      });
      children.push(child);
      let tail = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        const text = chunk.toString();
        tail = (tail + text).slice(-4000);
        if (localRank === 0) process.stderr.write(text);
        else for (const line of text.split('\n')) if (line.trim()) process.stderr.write(`[worker ${localRank}] ${line}\n`);
      });
      return new Promise<void>((resolve) => {
        child.on('exit', (code, signal) => {
          if (code === 0) succeeded++;
          else if (failure === null) {
            const what = `worker ${localRank} exited with ${signal ?? `code ${code}`}`;
            if (elastic && coordinator.failure === null) {
              // The coordinator drops it from the group; the run fails only below --min-workers.
              process.stderr.write(`[loom] ${what}; training goes on while at least ${minWorkers} workers are alive\n`);
            } else {
              failure = `${what}${tail ? `:\n${tail.trim()}` : ''}`;
              stopAll('SIGTERM');
            }
          }
          resolve();
        });
      });
    });
    await Promise.all(exits);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await coordinator.close();
    cluster.close();
    process.stderr.write(`${cluster.summary()}\n`);
    failure ??= succeeded === 0 ? 'no worker finished the run' : null;
    if (failure !== null) {
      process.stderr.write(`loom launch: ${failure}\n`);
      return failure === 'interrupted' ? 130 : 1;
    }
    return 0;
  },
};
