/**
 * `loom coordinator [JOB] --host H --port P --min-workers N --max-workers M`: the
 * coordinator of a multi-node run. It waits for `minWorkers` (up to `maxWorkers`),
 * assigns ranks and ring neighbours, tracks heartbeats, and exits when every worker has
 * left (0) or the rendezvous failed (1). Workers start with `loom worker JOB
 * --coordinator HOST:PORT`.
 */
import { CoordinatorServer, modelSignature, type MembershipChange } from '@loom/coordinator';
import { ready } from '@loom/tensor';
import { loadJob } from '@loom/trainer';
import { parseArgs, UsageError, type FlagSpec } from '../args/flags';
import type { Command } from './command';

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
  help: { type: 'bool', help: 'show this help' },
};

export const coordinatorCommand: Command = {
  name: 'coordinator',
  summary: 'run the coordinator of a multi-node job (rendezvous, ranks, heartbeats)',
  usage: 'loom coordinator [JOB] --host H --port P --min-workers N [--max-workers M]',
  flags: FLAGS,
  async run(argv) {
    const { flags, positionals } = parseArgs(argv, FLAGS);
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
    const coordinator = new CoordinatorServer({
      minWorkers,
      maxWorkers,
      host,
      port: (flags['port'] as number | undefined) ?? DEFAULT_PORT,
      rendezvousTimeoutMs: ((flags['rendezvous-timeout'] as number | undefined) ?? 600) * 1000,
      jobSignature,
    });
    const address = await coordinator.start();
    process.stderr.write(`[loom] coordinator listening on ${address}; waiting for ${minWorkers}${maxWorkers > minWorkers ? `-${maxWorkers}` : ''} workers\n`);
    const membership = await coordinator.ready();
    process.stderr.write(`[loom] group formed: ${membership.members.length} workers (membership epoch ${membership.epoch})\n`);
    await new Promise<void>((resolve) => {
      coordinator.on('membership-changed', (change: MembershipChange) => {
        process.stderr.write(`[loom] membership epoch ${change.membership.epoch}: ${change.reason}\n`);
        if (change.membership.members.length === 0) resolve();
      });
      const stop = (): void => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await coordinator.close();
    return 0;
  },
};
