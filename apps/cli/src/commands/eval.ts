/** `loom eval JOB --checkpoint FILE`: test accuracy and loss of a checkpoint. */
import { Trainer, loadJob } from '@loom/trainer';
import { parseArgs, UsageError, type FlagSpec } from '../args/flags';
import type { Command } from './command';

const FLAGS: Record<string, FlagSpec> = {
  checkpoint: { type: 'string', help: 'the checkpoint to evaluate' },
  'data-root': { type: 'string', help: 'dataset root folder', defaultText: 'data' },
  download: { type: 'bool', help: 'let datasets download missing files' },
  backend: { type: 'choice', choices: ['wasm', 'cpu', 'tensorflow'], help: 'TensorFlow.js backend', defaultText: 'automatic' },
  help: { type: 'bool', help: 'show this help' },
};

export const evalCommand: Command = {
  name: 'eval',
  summary: "test accuracy and loss of a checkpoint on the job's test set",
  usage: 'loom eval JOB --checkpoint FILE [flags]',
  flags: FLAGS,
  async run(argv) {
    const { flags, positionals } = parseArgs(argv, FLAGS);
    const [jobPath] = positionals;
    if (!jobPath) throw new UsageError('eval: missing JOB');
    const checkpoint = flags['checkpoint'] as string | undefined;
    if (!checkpoint) throw new UsageError('eval: --checkpoint FILE is required');
    if (flags['backend']) process.env['LOOM_BACKEND'] = flags['backend'] as string;
    const job = loadJob(jobPath);
    const trainer = new Trainer(job, {
      dataRoot: (flags['data-root'] as string | undefined) ?? 'data',
      download: Boolean(flags['download']),
    });
    const state = await trainer.loadWeights(checkpoint);
    process.stdout.write(`checkpoint ${checkpoint}${state.step === null ? '' : `: epoch ${state.epoch}, step ${state.step}`}\n`);
    await trainer.evaluate();
    return 0;
  },
};
