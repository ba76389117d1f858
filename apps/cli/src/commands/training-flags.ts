/** Flags shared by the training commands (`train`, `launch`, `coordinator`). */
import { cuda } from '@loom/tensor';
import type { FlagSpec, ParsedArgs } from '../args/flags';
import { UsageError } from '../args/flags';
import { defaultRunDir } from '../output/run-dir';
import { resolveResume } from './resume';

/** The flags, with their checks and help. */
export const TRAINING_FLAGS: Record<string, FlagSpec> = {
  epochs: { type: 'int', min: 1, help: 'number of epochs', defaultText: "the job's" },
  'batch-size': { type: 'int', min: 1, help: 'global batch size', defaultText: "the job's" },
  lr: { type: 'float', min: 0, help: 'learning rate passed to the job\'s optimizer factory', defaultText: "the job's" },
  seed: { type: 'int', min: 0, help: 'seed of initialisation, shuffling and dropout', defaultText: "the job's" },
  'run-dir': { type: 'string', help: 'where metrics, TensorBoard events and checkpoints go', defaultText: 'runs/<date-time>' },
  resume: { type: 'string', optionalValue: true, help: 'resume from FILE, or from the newest checkpoint of --run-dir that verifies (damaged ones are reported and skipped)' },
  'checkpoint-every': { type: 'int', min: 1, help: 'also checkpoint every N steps (always at each epoch end)' },
  'data-root': { type: 'string', help: 'dataset root folder', defaultText: 'data' },
  download: { type: 'bool', help: 'let datasets download missing files' },
  'skip-nonfinite-steps': { type: 'bool', help: "skip a step whose loss or gradient is NaN/inf (warn, count it) instead of stopping the run", defaultText: "the job's skipNonFiniteSteps, else false" },
  device: { type: 'choice', choices: ['cpu', 'cuda'], help: 'device to train on', defaultText: 'cpu' },
  backend: { type: 'choice', choices: ['wasm', 'cpu', 'tensorflow'], help: 'TensorFlow.js backend (sets LOOM_BACKEND)', defaultText: 'automatic' },
  help: { type: 'bool', help: 'show this help' },
};

/** The resolved training configuration (written to `config.json`). */
export interface TrainingConfig {
  job: string;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  runDir: string;
  resume: string | null;
  checkpointEvery?: number;
  /** `--skip-nonfinite-steps`; undefined leaves the job's choice. */
  skipNonFiniteSteps?: boolean;
  dataRoot: string;
  download: boolean;
  device: 'cpu' | 'cuda';
  backend: string | null;
}

/**
 * Turns parsed flags into a configuration, checking the combinations. `--resume`
 * checkpoints are verified here (see `resolveResume`); `warn` receives its notes.
 */
export async function resolveTrainingConfig(args: ParsedArgs, command: string, warn = (line: string) => void process.stderr.write(`${line}\n`)): Promise<TrainingConfig> {
  const [job, ...extra] = args.positionals;
  if (!job) throw new UsageError(`${command}: missing JOB (a job module or folder, e.g. examples/quickstart)`);
  if (extra.length > 0) throw new UsageError(`${command}: unexpected argument '${extra[0]}': expected one JOB`);
  const f = args.flags;
  const runDir = (f['run-dir'] as string | undefined) ?? defaultRunDir();
  const resume = f['resume'] === undefined ? null : await resolveResume(f['resume'] as string, runDir, warn);
  const device = (f['device'] as 'cpu' | 'cuda' | undefined) ?? 'cpu';
  const backend = (f['backend'] as string | undefined) ?? null;
  if (backend) process.env['LOOM_BACKEND'] = backend;
  if (device === 'cuda' && !cuda.isAvailable()) {
    throw new UsageError(
      '--device cuda: no GPU backend is installed: install @tensorflow/tfjs-node-gpu (CUDA 11.2, cuDNN 8.1, Linux x64); its install script downloads libtensorflow from storage.googleapis.com',
    );
  }
  if (device === 'cuda' && backend && backend !== 'tensorflow') throw new UsageError(`--device cuda needs --backend tensorflow, got --backend ${backend}`);
  return {
    job,
    epochs: f['epochs'] as number | undefined,
    batchSize: f['batch-size'] as number | undefined,
    lr: f['lr'] as number | undefined,
    seed: f['seed'] as number | undefined,
    runDir,
    resume,
    checkpointEvery: f['checkpoint-every'] as number | undefined,
    skipNonFiniteSteps: f['skip-nonfinite-steps'] as boolean | undefined,
    dataRoot: (f['data-root'] as string | undefined) ?? 'data',
    download: Boolean(f['download']),
    device,
    backend,
  };
}
