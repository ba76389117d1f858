/** `loom train JOB`: one process, no network. */
import { Trainer, loadJob } from '@loom/trainer';
import { parseArgs } from '../args/flags';
import { ProgressBar } from '../output/progress';
import { RunDirectory, checkpointDirOf } from '../output/run-dir';
import type { Command } from './command';
import { TRAINING_FLAGS, resolveTrainingConfig } from './training-flags';

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a job in this process (no network)',
  usage: 'loom train JOB [flags]',
  flags: TRAINING_FLAGS,
  async run(argv) {
    const config = await resolveTrainingConfig(parseArgs(argv, TRAINING_FLAGS), 'train');
    const job = loadJob(config.job);
    const runDir = new RunDirectory(config.runDir, { command: 'train', workers: 1, ...config });
    const progress = new ProgressBar();
    const trainer = new Trainer(job, {
      epochs: config.epochs,
      batchSize: config.batchSize,
      lr: config.lr,
      seed: config.seed,
      dataRoot: config.dataRoot,
      download: config.download,
      checkpointDir: checkpointDirOf(config.runDir),
      checkpointEvery: config.checkpointEvery,
      skipNonFiniteSteps: config.skipNonFiniteSteps,
      resumeFrom: config.resume ?? undefined,
      callbacks: [runDir, progress],
      print: (line) => {
        progress.clear();
        process.stdout.write(`${line}\n`);
      },
    });
    try {
      await trainer.fit();
    } finally {
      runDir.close();
    }
    return 0;
  },
};
