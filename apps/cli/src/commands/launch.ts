/**
 * `loom launch --nproc-per-node N JOB`: a coordinator on 127.0.0.1 and N local worker
 * processes, like `torchrun --standalone`. Rank 0's output is shown as is; the other
 * workers' stderr is shown prefixed with their rank. A worker that fails stops the run
 * with its error; Ctrl-C stops every process cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { CoordinatorServer } from '@loom/coordinator';
import { parseArgs, type FlagSpec } from '../args/flags';
import type { Command } from './command';
import { TRAINING_FLAGS, resolveTrainingConfig } from './training-flags';

const FLAGS: Record<string, FlagSpec> = {
  'nproc-per-node': { type: 'int', min: 1, max: 64, help: 'worker processes to start on this machine', defaultText: '1' },
  gpus: { type: 'string', help: 'with --device cuda: comma-separated GPU ids, one per worker', defaultText: '0..N-1' },
  ...TRAINING_FLAGS,
};

/** How long a rendezvous of local workers may take before the launch gives up. */
const LOCAL_RENDEZVOUS_TIMEOUT_MS = 120_000;
/** Time given to workers to exit after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 5_000;

/** The worker's argv: the same JOB and training flags, plus the coordinator. */
function workerArgs(argv: readonly string[], address: string, runDir: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--nproc-per-node' || a === '--gpus') {
      i++;
      continue;
    }
    if (a.startsWith('--nproc-per-node=') || a.startsWith('--gpus=') || a.startsWith('--run-dir')) {
      if (a === '--run-dir') i++;
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
    const config = resolveTrainingConfig(args, 'launch');
    const n = (args.flags['nproc-per-node'] as number | undefined) ?? 1;
    const gpus = config.device === 'cuda' ? ((args.flags['gpus'] as string | undefined)?.split(',') ?? Array.from({ length: n }, (_, i) => String(i))) : null;
    if (gpus && gpus.length < n) throw new Error(`--gpus lists ${gpus.length} GPUs for ${n} workers`);
    const coordinator = new CoordinatorServer({ minWorkers: n, maxWorkers: n, host: '127.0.0.1', port: 0, rendezvousTimeoutMs: LOCAL_RENDEZVOUS_TIMEOUT_MS });
    const address = await coordinator.start();
    process.stderr.write(`[loom] coordinator on ${address}, ${n} worker${n > 1 ? 's' : ''}${gpus ? ` on GPUs ${gpus.slice(0, n).join(',')}` : ''}, run dir ${config.runDir}\n`);
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
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
    const exits = Array.from({ length: n }, (_, localRank) => {
      const env: NodeJS.ProcessEnv = { ...process.env, LOCAL_RANK: String(localRank), LOCAL_WORLD_SIZE: String(n), WORLD_SIZE: String(n), RANK: String(localRank) };
      if (gpus) env['CUDA_VISIBLE_DEVICES'] = gpus[localRank] as string;
      const child = spawn(process.execPath, [bin, ...workerArgs(argv, address, config.runDir)], {
        env,
        stdio: ['ignore', localRank === 0 ? 'inherit' : 'ignore', 'pipe'],
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
          if (code !== 0 && failure === null) {
            failure = `worker ${localRank} exited with ${signal ?? `code ${code}`}${tail ? `:\n${tail.trim()}` : ''}`;
            stopAll('SIGTERM');
          }
          resolve();
        });
      });
    });
    await Promise.all(exits);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await coordinator.close();
    if (failure !== null) {
      process.stderr.write(`loom launch: ${failure}\n`);
      return failure === 'interrupted' ? 130 : 1;
    }
    return 0;
  },
};
