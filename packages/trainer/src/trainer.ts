/**
 * `Trainer`: runs a job in one process, as the seed's program does: for each epoch a
 * train loop printing `loss: ...  [current/size]` every 100 batches and a test loop
 * printing `Test Error: Accuracy: x%, Avg loss: y`; with callbacks for metrics,
 * periodic checkpoints, and exact resumption from a checkpoint (also mid-epoch).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ready, manualSeed, noGrad, type Tensor } from '@loom/tensor';
import { DataLoader } from '@loom/data';
import { save, load } from '@loom/nn';
import { TrainingError } from './errors';
import { applyLoss, type DatasetLike, type Job, type OptimizerLike, type SchedulerLike, type TrainableModel } from './job/job-spec';
import type { Callback, EpochEvent, StepEvent } from './loop/events';
import { formatEpochHeader, formatLossLine, formatTestSummary } from './loop/seed-format';
import { EpochPlan } from './plan/epoch-plan';
import { PlanBatchSampler } from './plan/plan-batch-sampler';
import { TRAINING_CHECKPOINT_FORMAT, captureRngState, checkTrainingState, restoreRngState, type TrainingState } from './checkpoint/training-state';

/** The seed prints the training loss every 100 batches. */
const SEED_PRINT_EVERY = 100;

/** Options of {@link Trainer}; each overrides the job's value when given. */
export interface TrainerOptions {
  epochs?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  /** Dataset root (default `data`). */
  dataRoot?: string;
  download?: boolean;
  /** Where each printed line goes (default: stdout). */
  print?: (line: string) => void;
  callbacks?: Callback[];
  /** Write a checkpoint every N steps (and at every epoch end) into `checkpointDir`. */
  checkpointEvery?: number;
  checkpointDir?: string;
  /** Checkpoints kept in `checkpointDir` (oldest deleted first). */
  keepCheckpoints?: number;
  /** Resume from this checkpoint file. */
  resumeFrom?: string;
  /** Print the loss every this many batches (default 100, as the seed). */
  printEvery?: number;
}

/** What {@link Trainer.fit} returns. */
export interface FitResult {
  epochs: EpochEvent[];
  step: number;
}

/** Runs a job in one process. See the module comment. */
export class Trainer {
  readonly job: Job;
  private readonly options: TrainerOptions;
  private model: TrainableModel | null = null;
  private optimizer: OptimizerLike | null = null;
  private scheduler: SchedulerLike | null = null;
  private datasets: { train: DatasetLike; test?: DatasetLike } | null = null;
  private step = 0;
  private lastLoss = NaN;
  private savedCheckpoints: string[] = [];

  constructor(job: Job, options: TrainerOptions = {}) {
    this.job = {
      ...job,
      epochs: options.epochs ?? job.epochs,
      batchSize: options.batchSize ?? job.batchSize,
      seed: options.seed ?? job.seed,
    };
    this.options = options;
  }

  private print(line: string): void {
    (this.options.print ?? ((l: string) => process.stdout.write(`${l}\n`)))(line);
  }

  /** Builds model, optimizer, scheduler and datasets (once). */
  async setup(): Promise<void> {
    if (this.model) return;
    await ready();
    manualSeed(this.job.seed);
    this.model = this.job.model();
    this.optimizer = this.job.optimizer([...this.model.parameters()], { lr: this.options.lr });
    this.scheduler = this.job.scheduler ? this.job.scheduler(this.optimizer) : null;
    this.datasets = await this.job.data({ root: this.options.dataRoot ?? 'data', download: this.options.download ?? false });
  }

  /** The model (after {@link setup}). */
  get trainedModel(): TrainableModel {
    if (!this.model) throw new TrainingError('Trainer: call setup() or fit() first');
    return this.model;
  }

  /** Trains for the job's epochs (from the checkpoint in `resumeFrom`, if given). */
  async fit(): Promise<FitResult> {
    await this.setup();
    let startEpoch = 0;
    let startBatch = 0;
    if (this.options.resumeFrom) [startEpoch, startBatch] = await this.restore(this.options.resumeFrom);
    const epochs: EpochEvent[] = [];
    for (let epoch = startEpoch; epoch < this.job.epochs; epoch++) {
      for (const line of formatEpochHeader(epoch + 1)) this.print(line);
      const started = performance.now();
      const { meanLoss, samples } = await this.trainEpoch(epoch, epoch === startEpoch ? startBatch : 0);
      const seconds = (performance.now() - started) / 1000;
      if (this.scheduler && this.job.schedulerInterval === 'epoch') this.scheduler.step();
      const test = this.datasets?.test ? await this.evaluate() : null;
      const event: EpochEvent = {
        kind: 'epoch',
        epoch: epoch + 1,
        step: this.step,
        trainLoss: meanLoss,
        testLoss: test?.loss ?? null,
        testAccuracy: test?.accuracy ?? null,
        seconds,
        samplesPerSecond: seconds > 0 ? samples / seconds : 0,
        workers: 1,
      };
      epochs.push(event);
      if (this.options.checkpointDir) await this.checkpoint(epoch + 1, 0);
      for (const cb of this.options.callbacks ?? []) await cb.onEpochEnd?.(event);
    }
    this.print('Done!');
    return { epochs, step: this.step };
  }

  private async trainEpoch(epoch: number, startBatch: number): Promise<{ meanLoss: number; samples: number }> {
    const model = this.trainedModel;
    const optimizer = this.optimizer as OptimizerLike;
    const lossFn = this.job.loss();
    const train = (this.datasets as { train: DatasetLike }).train;
    const plan = new EpochPlan({ datasetLength: train.length, batchSize: this.job.batchSize, seed: this.job.seed, epoch, shuffle: this.job.shuffle, dropLast: this.job.dropLast });
    const loader = new DataLoader(train as never, { batchSampler: new PlanBatchSampler(plan, 0, 1, startBatch), numWorkers: this.job.numWorkers });
    const size = train.length;
    const printEvery = this.options.printEvery ?? SEED_PRINT_EVERY;
    model.train();
    let batch = startBatch;
    let samples = Math.min(startBatch * this.job.batchSize, size);
    let lossSum = 0;
    let steps = 0;
    const started = performance.now();
    for await (const [X, y] of loader as AsyncIterable<[Tensor, Tensor]>) {
      const loss = applyLoss(lossFn, model.forward(X), y);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      if (this.scheduler && this.job.schedulerInterval === 'step') this.scheduler.step();
      const value = loss.item();
      if (!Number.isFinite(value)) {
        throw new TrainingError(`training loss is ${value} at epoch ${epoch + 1}, batch ${batch} (step ${this.step + 1})`, 'lower the learning rate or check the data for NaN/inf');
      }
      this.step++;
      this.lastLoss = value;
      lossSum += value;
      steps++;
      samples += X.shape[0] as number;
      if (batch % printEvery === 0) this.print(formatLossLine(value, samples, size));
      const event: StepEvent = { kind: 'step', epoch: epoch + 1, step: this.step, batch, loss: value, samples, epochSamples: plan.numSamples, seconds: (performance.now() - started) / 1000 };
      for (const cb of this.options.callbacks ?? []) await cb.onStep?.(event);
      batch++;
      const every = this.options.checkpointEvery;
      if (this.options.checkpointDir && every && this.step % every === 0 && batch < plan.numBatches) await this.checkpoint(epoch, batch);
    }
    return { meanLoss: steps > 0 ? lossSum / steps : NaN, samples: samples - Math.min(startBatch * this.job.batchSize, size) };
  }

  /**
   * The seed's test loop: average loss over batches and accuracy over samples.
   *
   * @example
   * ```ts
   * const { accuracy, loss } = await trainer.evaluate();
   * ```
   */
  async evaluate(options: { print?: boolean } = {}): Promise<{ accuracy: number; loss: number }> {
    await this.setup();
    const test = this.datasets?.test;
    if (!test) throw new TrainingError(`job '${this.job.name}' has no test dataset to evaluate on`);
    const model = this.trainedModel;
    const lossFn = this.job.loss();
    const loader = new DataLoader(test as never, { batchSize: this.job.testBatchSize, numWorkers: this.job.numWorkers });
    model.eval();
    let lossSum = 0;
    let correct = 0;
    let batches = 0;
    await noGrad(async () => {
      for await (const [X, y] of loader as AsyncIterable<[Tensor, Tensor]>) {
        const pred = model.forward(X);
        lossSum += applyLoss(lossFn, pred, y).item();
        correct += pred.argmax(1).eq(y).float().sum().item();
        batches++;
      }
    });
    const result = { accuracy: test.length > 0 ? correct / test.length : 0, loss: batches > 0 ? lossSum / batches : NaN };
    if (options.print ?? true) for (const line of formatTestSummary(result.accuracy, result.loss)) this.print(line);
    return result;
  }

  /** The checkpoint dict for the current position. */
  trainingState(epoch: number, batch: number): TrainingState {
    return {
      format: TRAINING_CHECKPOINT_FORMAT,
      job: this.job.name,
      epoch,
      batch,
      step: this.step,
      loss: this.lastLoss,
      seed: this.job.seed,
      modelStateDict: this.trainedModel.stateDict(),
      optimizerStateDict: (this.optimizer as OptimizerLike).stateDict(),
      schedulerStateDict: this.scheduler ? this.scheduler.stateDict() : null,
      rngState: captureRngState(),
    };
  }

  private async checkpoint(epoch: number, batch: number): Promise<void> {
    const dir = this.options.checkpointDir as string;
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `step-${String(this.step).padStart(8, '0')}.ckpt`);
    await save(this.trainingState(epoch, batch), file);
    this.savedCheckpoints.push(file);
    const keep = this.options.keepCheckpoints ?? 3;
    while (this.savedCheckpoints.length > keep) fs.rmSync(this.savedCheckpoints.shift() as string, { force: true });
  }

  /** Loads model, optimizer, scheduler and generator state; returns where to continue. */
  private async restore(file: string): Promise<[number, number]> {
    const state = checkTrainingState(await load(file), this.job.name, file);
    this.trainedModel.loadStateDict(state.modelStateDict as never);
    (this.optimizer as OptimizerLike).loadStateDict(state.optimizerStateDict as never);
    if (this.scheduler && state.schedulerStateDict) this.scheduler.loadStateDict(state.schedulerStateDict as never);
    restoreRngState(state.rngState);
    this.step = state.step;
    this.lastLoss = state.loss;
    return [state.epoch, state.batch];
  }
}
