/**
 * `Trainer`: runs a job as the seed's program does: for each epoch a train loop printing
 * `loss: ...  [current/size]` every 100 batches and a test loop printing `Test Error:
 * Accuracy: x%, Avg loss: y`; with callbacks for metrics, periodic checkpoints and
 * exact resumption (also mid-epoch). Given a `ProcessGroup`, the same Trainer is one
 * rank of data-parallel training (the worker runtime).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ready, manualSeed } from '@loom/tensor';
import { save, load } from '@loom/nn';
import { TrainingError } from './errors';
import type { Job, OptimizerLike, TrainableModel } from './job/job-spec';
import type { Callback, EpochEvent } from './loop/events';
import { evaluate, type EvaluationResult } from './loop/evaluate';
import type { RunContext } from './loop/run-context';
import { formatEpochHeader, formatTestSummary } from './loop/seed-format';
import { trainEpoch } from './loop/train-epoch';
import { DistributedDataParallel, type DdpOptions } from './distributed/distributed-data-parallel';
import type { ProcessGroup } from './distributed/process-group';
import { TRAINING_CHECKPOINT_FORMAT, captureRngState, checkTrainingState, restoreRngState, type TrainingState } from './checkpoint/training-state';

/** The seed prints the training loss every 100 batches. */
const SEED_PRINT_EVERY = 100;
/** Checkpoints kept by default (the coordinator's "last K"). */
const DEFAULT_KEEP_CHECKPOINTS = 3;

/** Writes a checkpoint; the default saves `<checkpointDir>/step-<n>.ckpt` with `@loom/nn`'s `save`. */
export type CheckpointWriter = (state: TrainingState) => Promise<void>;

/** Options of {@link Trainer}; each overrides the job's value when given. */
export interface TrainerOptions {
  epochs?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  /** Dataset root (default `data`). */
  dataRoot?: string;
  download?: boolean;
  /** Where printed lines go (default: stdout; only rank 0 prints). */
  print?: (line: string) => void;
  callbacks?: Callback[];
  /** Checkpoint every N steps (and at every epoch end). */
  checkpointEvery?: number;
  /** Folder of the default checkpoint writer. */
  checkpointDir?: string;
  /** Checkpoints kept by the default writer (default 3). */
  keepCheckpoints?: number;
  /** Replaces the default writer (the distributed worker sends checkpoints to the coordinator). */
  checkpointWriter?: CheckpointWriter;
  /** Resume from this checkpoint file or loaded checkpoint. */
  resumeFrom?: string | TrainingState;
  /** Print the loss every this many batches (default 100, as the seed). */
  printEvery?: number;
  /** Train as one rank of a process group. */
  processGroup?: ProcessGroup;
  ddp?: DdpOptions;
}

/** What {@link Trainer.fit} returns. */
export interface FitResult {
  epochs: EpochEvent[];
  step: number;
}

/** Runs a job in this process, alone or as one rank. See the module comment. */
export class Trainer {
  readonly job: Job;
  private readonly options: TrainerOptions;
  private ctx: RunContext | null = null;
  private savedCheckpoints: string[] = [];

  constructor(job: Job, options: TrainerOptions = {}) {
    this.job = { ...job, epochs: options.epochs ?? job.epochs, batchSize: options.batchSize ?? job.batchSize, seed: options.seed ?? job.seed };
    this.options = options;
  }

  /** Builds model, optimizer, scheduler and datasets (once); returns the run state. */
  async setup(): Promise<RunContext> {
    if (this.ctx) return this.ctx;
    await ready();
    manualSeed(this.job.seed);
    const model = this.job.model();
    const optimizer = this.job.optimizer([...model.parameters()], { lr: this.options.lr });
    const scheduler = this.job.scheduler ? this.job.scheduler(optimizer) : null;
    const data = await this.job.data({ root: this.options.dataRoot ?? 'data', download: this.options.download ?? false });
    const pg = this.options.processGroup ?? null;
    const ddp = pg ? await DistributedDataParallel.create(model, pg, this.options.ddp) : null;
    const isPrinter = !pg || pg.rank === 0;
    const out = this.options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
    this.ctx = {
      job: this.job,
      model,
      optimizer,
      scheduler,
      train: data.train,
      test: data.test ?? null,
      processGroup: pg,
      ddp,
      callbacks: this.options.callbacks ?? [],
      print: isPrinter ? out : () => undefined,
      printEvery: this.options.printEvery ?? SEED_PRINT_EVERY,
      step: 0,
      lastLoss: NaN,
    };
    return this.ctx;
  }

  /** The model being trained (after {@link setup}). */
  get trainedModel(): TrainableModel {
    if (!this.ctx) throw new TrainingError('Trainer: call setup() or fit() first');
    return this.ctx.model;
  }

  /** Trains for the job's epochs (continuing from `resumeFrom`, if given). */
  async fit(): Promise<FitResult> {
    const ctx = await this.setup();
    let [startEpoch, startBatch] = [0, 0];
    if (this.options.resumeFrom) [startEpoch, startBatch] = await this.restore(this.options.resumeFrom);
    const epochs: EpochEvent[] = [];
    const every = this.options.checkpointEvery;
    for (let epoch = startEpoch; epoch < this.job.epochs; epoch++) {
      for (const line of formatEpochHeader(epoch + 1)) ctx.print(line);
      const started = performance.now();
      const trained = await trainEpoch(ctx, {
        epoch,
        startBatch: epoch === startEpoch ? startBatch : 0,
        afterStep: async (nextBatch, plan) => {
          if (every && ctx.step % every === 0 && nextBatch < plan.numBatches) await this.checkpoint(epoch, nextBatch);
        },
      });
      const seconds = (performance.now() - started) / 1000;
      if (ctx.scheduler && this.job.schedulerInterval === 'epoch') ctx.scheduler.step();
      const test = ctx.test ? await this.evaluate() : null;
      const event: EpochEvent = {
        kind: 'epoch',
        epoch: epoch + 1,
        step: ctx.step,
        trainLoss: trained.meanLoss,
        testLoss: test?.loss ?? null,
        testAccuracy: test?.accuracy ?? null,
        seconds,
        samplesPerSecond: seconds > 0 ? trained.samples / seconds : 0,
        workers: ctx.processGroup?.worldSize ?? 1,
      };
      epochs.push(event);
      if (every !== undefined || this.options.checkpointDir || this.options.checkpointWriter) await this.checkpoint(epoch + 1, 0);
      for (const cb of ctx.callbacks) await cb.onEpochEnd?.(event);
    }
    ctx.print('Done!');
    return { epochs, step: ctx.step };
  }

  /**
   * Runs the test loop and prints the seed's summary.
   *
   * @example
   * ```ts
   * const { accuracy, loss } = await trainer.evaluate();
   * ```
   */
  async evaluate(options: { print?: boolean } = {}): Promise<EvaluationResult> {
    const ctx = await this.setup();
    const result = await evaluate(ctx);
    if (options.print ?? true) for (const line of formatTestSummary(result.accuracy, result.loss)) ctx.print(line);
    return result;
  }

  /**
   * Loads a checkpoint's model weights (for evaluation): a training checkpoint of this
   * job, or any checkpoint dict with a `modelStateDict` (e.g. imported safetensors).
   */
  async loadWeights(file: string): Promise<{ epoch: number | null; step: number | null }> {
    const ctx = await this.setup();
    const value = (await load(file)) as Partial<TrainingState> | null;
    if (value !== null && typeof value === 'object' && value.format === TRAINING_CHECKPOINT_FORMAT) {
      const state = checkTrainingState(value, this.job.name, file);
      ctx.model.loadStateDict(state.modelStateDict as never);
      return { epoch: state.epoch, step: state.step };
    }
    if (value === null || typeof value !== 'object' || value.modelStateDict === undefined) {
      throw new TrainingError(`${file} has no modelStateDict to evaluate`, 'pass a checkpoint written by loom train/launch or loom checkpoint import');
    }
    ctx.model.loadStateDict(value.modelStateDict as never);
    return { epoch: null, step: null };
  }

  /** The checkpoint dict for position (`epoch`, `batch`). */
  trainingState(epoch: number, batch: number): TrainingState {
    const ctx = this.ctx;
    if (!ctx) throw new TrainingError('Trainer: call setup() or fit() first');
    return {
      format: TRAINING_CHECKPOINT_FORMAT,
      job: this.job.name,
      epoch,
      batch,
      step: ctx.step,
      loss: ctx.lastLoss,
      seed: this.job.seed,
      modelStateDict: ctx.model.stateDict(),
      optimizerStateDict: ctx.optimizer.stateDict(),
      schedulerStateDict: ctx.scheduler ? ctx.scheduler.stateDict() : null,
      rngState: captureRngState(),
    };
  }

  private async checkpoint(epoch: number, batch: number): Promise<void> {
    const ctx = this.ctx as RunContext;
    if (ctx.processGroup && ctx.processGroup.rank !== 0) return;
    const state = this.trainingState(epoch, batch);
    if (this.options.checkpointWriter) return this.options.checkpointWriter(state);
    const dir = this.options.checkpointDir;
    if (!dir) return;
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `step-${String(ctx.step).padStart(8, '0')}.ckpt`);
    await save(state, file);
    this.savedCheckpoints.push(file);
    const keep = this.options.keepCheckpoints ?? DEFAULT_KEEP_CHECKPOINTS;
    while (this.savedCheckpoints.length > keep) fs.rmSync(this.savedCheckpoints.shift() as string, { force: true });
  }

  /** Loads model, optimizer, scheduler and generator state; returns where to continue. */
  private async restore(source: string | TrainingState): Promise<[number, number]> {
    const ctx = this.ctx as RunContext;
    const name = typeof source === 'string' ? source : 'checkpoint';
    const state = checkTrainingState(typeof source === 'string' ? await load(source) : source, this.job.name, name);
    ctx.model.loadStateDict(state.modelStateDict as never);
    (ctx.optimizer as OptimizerLike).loadStateDict(state.optimizerStateDict as never);
    if (ctx.scheduler && state.schedulerStateDict) ctx.scheduler.loadStateDict(state.schedulerStateDict as never);
    restoreRngState(state.rngState);
    ctx.step = state.step;
    ctx.lastLoss = state.loss;
    return [state.epoch, state.batch];
  }
}
