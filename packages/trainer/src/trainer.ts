/**
 * `Trainer`: runs a job as the seed's program does: for each epoch a train loop printing
 * `loss: ...  [current/size]` every 100 batches and a test loop printing `Test Error:
 * Accuracy: x%, Avg loss: y`; with callbacks for metrics, periodic checkpoints and
 * exact resumption (also mid-epoch). Given a `ProcessGroup`, the same Trainer is one
 * rank of data-parallel training (the worker runtime).
 */
import { ready, manualSeed } from '@loom/tensor';
import { decodeCheckpoint, encodeCheckpoint, load } from '@loom/nn';
import { TrainingError } from './errors';
import type { Job, OptimizerLike, TrainableModel } from './job/job-spec';
import type { EpochEvent } from './loop/events';
import { evaluate, type EvaluationResult } from './loop/evaluate';
import type { RunContext } from './loop/run-context';
import { formatEpochHeader, formatTestSummary } from './loop/seed-format';
import { trainEpoch } from './loop/train-epoch';
import { DistributedDataParallel } from './distributed/distributed-data-parallel';
import { TRAINING_CHECKPOINT_FORMAT, captureRngState, checkTrainingState, restoreRngState, type TrainingState } from './checkpoint/training-state';
import { CheckpointRotation } from './checkpoint/checkpoint-rotation';
import { asElastic, type ElasticProcessGroup } from './elastic/elastic-process-group';
import { EpochProgress, type TrainingPosition } from './elastic/epoch-progress';
import { agreeOnState, recoverReplica, type ReplicaState } from './elastic/state-sync';
import { EpochPlan } from './plan/epoch-plan';
import type { FitResult, TrainerOptions } from './trainer-options';

/** The seed prints the training loss every 100 batches. */
const SEED_PRINT_EVERY = 100;
/** Checkpoints kept by default (the coordinator's "last K"). */
const DEFAULT_KEEP_CHECKPOINTS = 3;

/** Runs a job in this process, alone or as one rank. See the module comment. */
export class Trainer {
  readonly job: Job;
  private readonly options: TrainerOptions;
  private ctx: RunContext | null = null;
  private rotation: CheckpointRotation | null = null;
  /** The next batch to train: advanced after each committed step. */
  private position: TrainingPosition = { epoch: 0, batch: 0 };
  private progress: EpochProgress | null = null;
  private batchesPerEpoch: number | undefined;

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
    // A process joining a running group receives the state at the start of fit() instead.
    const joining = asElastic(pg)?.joinedRunning === true;
    const ddp = pg ? await DistributedDataParallel.create(model, pg, joining ? { ...this.options.ddp, broadcastParameters: false } : this.options.ddp) : null;
    const out = this.options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
    const warn = this.options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
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
      // Rank 0 prints; it is read at each line because a membership change renumbers ranks.
      print: pg ? (line) => (pg.rank === 0 ? out(line) : undefined) : out,
      printEvery: this.options.printEvery ?? SEED_PRINT_EVERY,
      warn: pg ? (line) => (pg.rank === 0 ? warn(line) : undefined) : warn,
      skipNonFiniteSteps: this.options.skipNonFiniteSteps ?? this.job.skipNonFiniteSteps,
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

  /** The run state (after {@link setup}): model, optimizer, datasets, process group. */
  get runContext(): RunContext {
    if (!this.ctx) throw new TrainingError('Trainer: call setup() or fit() first');
    return this.ctx;
  }

  /**
   * Trains for the job's epochs (continuing from `resumeFrom`, if given). With an
   * elastic process group, a membership change during a step or an evaluation is not
   * an error: the group re-forms, the replicas agree on the most advanced state, and
   * the interrupted step is redone (NOTE [Elastic recovery] in @loom/coordinator).
   */
  async fit(): Promise<FitResult> {
    const ctx = await this.setup();
    if (this.options.resumeFrom) {
      const [epoch, batch] = await this.restore(this.options.resumeFrom);
      this.position = { epoch, batch };
    }
    const epochs: EpochEvent[] = [];
    const elastic = asElastic(ctx.processGroup);
    // Joining a running group: the others re-form the ring with this process and send
    // their state; the first collective here is that agreement (position -1: behind all).
    if (elastic?.joinedRunning) {
      const { bytes } = await agreeOnState(elastic, -1, () => new Uint8Array(0));
      if (bytes) await this.replica(-1).load(bytes);
    }
    while (this.position.epoch < this.job.epochs) {
      try {
        epochs.push(await this.runEpoch(this.position));
      } catch (e) {
        if (!elastic?.isMembershipChange(e)) throw e;
        await this.recover(elastic, e);
      }
    }
    ctx.print('Done!');
    return { epochs, step: ctx.step };
  }

  /** Trains the rest of `from.epoch` (if any is left), evaluates, and ends the epoch. */
  private async runEpoch(from: TrainingPosition): Promise<EpochEvent> {
    const ctx = this.ctx as RunContext;
    const { epoch } = from;
    const every = this.options.checkpointEvery;
    if (this.progress?.epoch !== epoch) {
      this.progress = new EpochProgress(epoch);
      for (const line of formatEpochHeader(epoch + 1)) ctx.print(line);
    }
    const progress = this.progress;
    const numBatches = this.numBatches();
    if (from.batch < numBatches) {
      const started = performance.now();
      const trained = await trainEpoch(ctx, {
        epoch,
        startBatch: from.batch,
        afterStep: async (nextBatch, plan) => {
          this.position = { epoch, batch: nextBatch };
          progress.addStep(ctx.lastLoss, plan.samplesBefore(nextBatch) - plan.samplesBefore(nextBatch - 1));
          if (every && ctx.step % every === 0 && nextBatch < plan.numBatches) await this.checkpoint(epoch, nextBatch);
        },
      });
      progress.addSegment(trained, (performance.now() - started) / 1000);
      this.position = { epoch, batch: numBatches };
    }
    // Evaluation comes before the scheduler's epoch step (it does not depend on it), so
    // that an evaluation interrupted by a membership change can be redone as it is.
    const test = ctx.test ? await this.evaluate() : null;
    if (ctx.scheduler && this.job.schedulerInterval === 'epoch') ctx.scheduler.step();
    const event: EpochEvent = {
      kind: 'epoch',
      epoch: epoch + 1,
      step: ctx.step,
      ...progress.summary(),
      testLoss: test?.loss ?? null,
      testAccuracy: test?.accuracy ?? null,
      workers: ctx.processGroup?.worldSize ?? 1,
    };
    if (every !== undefined || this.options.checkpointDir || this.options.checkpointWriter) await this.checkpoint(epoch + 1, 0);
    for (const cb of ctx.callbacks) await cb.onEpochEnd?.(event);
    this.position = { epoch: epoch + 1, batch: 0 };
    return event;
  }

  /** This replica as `state-sync.ts` sees it: position key, encoded state, loading. */
  private replica(positionKey = this.position.epoch * (this.numBatches() + 1) + this.position.batch): ReplicaState {
    const mine = this.position;
    return {
      positionKey: () => positionKey,
      encode: () => encodeCheckpoint(this.trainingState(mine.epoch, mine.batch)),
      load: async (bytes) => {
        const [epoch, batch] = await this.restore(decodeCheckpoint(bytes));
        this.position = { epoch, batch };
      },
    };
  }

  /** Global batches per epoch (the same for every epoch). */
  private numBatches(): number {
    const ctx = this.ctx as RunContext;
    this.batchesPerEpoch ??= new EpochPlan({ datasetLength: ctx.train.length, batchSize: this.job.batchSize, seed: this.job.seed, epoch: 0, shuffle: this.job.shuffle, dropLast: this.job.dropLast }).numBatches;
    return this.batchesPerEpoch;
  }

  /**
   * Re-forms the group after a membership change and makes every replica hold the
   * most advanced replica's state; training then continues from its position.
   */
  private async recover(pg: ElasticProcessGroup, error: unknown): Promise<void> {
    const ctx = this.ctx as RunContext;
    const started = performance.now();
    const root = await recoverReplica(pg, error, this.replica());
    this.progress?.interrupt();
    const { epoch, batch } = this.position;
    ctx.warn?.(`[loom] membership epoch ${pg.membershipEpoch ?? '?'}: ${pg.worldSize} workers continue at epoch ${epoch + 1}, batch ${batch} (step ${ctx.step}, state of rank ${root}), recovered in ${Math.round(performance.now() - started)} ms`);
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
    // Saves atomically, then prunes; a failed save throws CheckpointWriteError (stops training).
    this.rotation ??= new CheckpointRotation(dir, this.options.keepCheckpoints ?? DEFAULT_KEEP_CHECKPOINTS);
    await this.rotation.write(state, ctx.step);
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
