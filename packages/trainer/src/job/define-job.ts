/** `defineJob`: checks a job description and fills in its defaults. */
import { TrainerConfigError } from '../errors';
import type { Job, JobSpec } from './job-spec';

const FACTORIES = ['model', 'data', 'loss', 'optimizer'] as const;

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new TrainerConfigError(`job: ${name} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Declares a training job (the default export of a job module).
 *
 * @example
 * ```ts
 * export default defineJob({
 *   name: 'quickstart', batchSize: 64, epochs: 5,
 *   model: () => new NeuralNetwork(),
 *   data: ({ root }) => ({ train: new FashionMNIST({ root, train: true, transform: new ToTensor() }),
 *                         test: new FashionMNIST({ root, train: false, transform: new ToTensor() }) }),
 *   loss: () => new nn.CrossEntropyLoss(),
 *   optimizer: (params, { lr }) => new optim.SGD(params, { lr: lr ?? 1e-3 }),
 * });
 * ```
 */
export function defineJob(spec: JobSpec): Job {
  if (spec === null || typeof spec !== 'object') throw new TrainerConfigError(`job: expected an object, got ${spec === null ? 'null' : typeof spec}`);
  if (typeof spec.name !== 'string' || spec.name.length === 0) throw new TrainerConfigError('job: name must be a non-empty string');
  for (const key of FACTORIES) {
    if (typeof spec[key] !== 'function') {
      throw new TrainerConfigError(`job '${spec.name}': ${key} must be a function that builds the ${key}, got ${typeof spec[key]}`);
    }
  }
  if (spec.scheduler !== undefined && typeof spec.scheduler !== 'function') {
    throw new TrainerConfigError(`job '${spec.name}': scheduler must be a function, got ${typeof spec.scheduler}`);
  }
  const seed = spec.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new TrainerConfigError(`job '${spec.name}': seed must be a non-negative integer, got ${seed}`);
  const interval = spec.schedulerInterval ?? 'epoch';
  if (interval !== 'epoch' && interval !== 'step') {
    throw new TrainerConfigError(`job '${spec.name}': schedulerInterval must be 'epoch' or 'step', got ${JSON.stringify(interval)}`);
  }
  const numWorkers = spec.numWorkers ?? 0;
  if (!Number.isInteger(numWorkers) || numWorkers < 0) throw new TrainerConfigError(`job '${spec.name}': numWorkers must be a non-negative integer, got ${numWorkers}`);
  if (spec.skipNonFiniteSteps !== undefined && typeof spec.skipNonFiniteSteps !== 'boolean') {
    throw new TrainerConfigError(`job '${spec.name}': skipNonFiniteSteps must be true or false, got ${JSON.stringify(spec.skipNonFiniteSteps)}`);
  }
  const batchSize = positiveInteger(spec.batchSize, 'batchSize');
  return {
    ...spec,
    seed,
    batchSize,
    testBatchSize: spec.testBatchSize === undefined ? batchSize : positiveInteger(spec.testBatchSize, 'testBatchSize'),
    epochs: positiveInteger(spec.epochs, 'epochs'),
    shuffle: spec.shuffle ?? true,
    dropLast: spec.dropLast ?? false,
    numWorkers,
    schedulerInterval: interval,
    skipNonFiniteSteps: spec.skipNonFiniteSteps ?? false,
  };
}

/** Whether a value came from {@link defineJob} or looks like a job spec. */
export function isJobSpec(value: unknown): value is JobSpec {
  return value !== null && typeof value === 'object' && FACTORIES.every((k) => typeof (value as Record<string, unknown>)[k] === 'function');
}
