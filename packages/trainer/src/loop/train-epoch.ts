/**
 * The seed's `train_loop` for one epoch, on this rank's pieces of the epoch plan. With
 * a process group, gradients are combined weighted by piece size, so the step equals
 * the single-process step on the whole global batch.
 */
import { applyLoss } from '../job/job-spec';
import { DataLoader } from '@loom/data';
import { Generator } from '@loom/tensor';
import { TrainingError } from '../errors';
import { NonFiniteError, describeNonFiniteStep } from '../numerics/non-finite-error';
import { StepGuard } from '../numerics/step-guard';
import { poisonedState } from '../numerics/poisoned-state';
import { EpochPlan } from '../plan/epoch-plan';
import { PlanBatchSampler } from '../plan/plan-batch-sampler';
import type { StepEvent } from './events';
import { rankOf, runModel, type Batch, type RunContext } from './run-context';
import { formatLossLine } from './seed-format';

/** Where an epoch starts and what to do between steps. */
export interface EpochRange {
  /** 0-based epoch. */
  epoch: number;
  /** First batch to train (non-zero when resuming mid-epoch). */
  startBatch: number;
  /** Called after each step with the next batch index (checkpointing). */
  afterStep?: (nextBatch: number, plan: EpochPlan) => Promise<void>;
}

/** What one epoch of training produced. */
export interface EpochTrainResult {
  meanLoss: number;
  /** Samples trained on by all ranks together. */
  samples: number;
  /** Steps skipped for a NaN/inf loss or gradient (with `skipNonFiniteSteps`). */
  skippedSteps: number;
}

/** Spreads (seed, epoch) pairs apart for the loader's generator (an odd 32-bit constant, Knuth's multiplicative hash). */
const LOADER_SEED_STRIDE = 2654435761n;

/** Runs one epoch of training. */
export async function trainEpoch(ctx: RunContext, range: EpochRange): Promise<EpochTrainResult> {
  const { job, model, optimizer, ddp } = ctx;
  const { rank, worldSize } = rankOf(ctx);
  const lossFn = job.loss();
  const plan = new EpochPlan({ datasetLength: ctx.train.length, batchSize: job.batchSize, seed: job.seed, epoch: range.epoch, shuffle: job.shuffle, dropLast: job.dropLast });
  // Ranks whose piece of a (tiny, last) batch is empty skip the forward pass but still
  // join the gradient sum with zeros, so the loader only sees non-empty pieces.
  const sampler = new PlanBatchSampler(plan, rank, worldSize, range.startBatch);
  // The loader draws its workers' base seed from its generator each time an iterator
  // starts. From the default generator, a run resumed mid-epoch would draw a second time
  // in that epoch and leave every later random number (dropout, augmentation) one draw
  // off the uninterrupted run; a generator of its own, seeded by (seed, epoch) as the
  // plan is, gives both the same base seed and leaves the default generator alone.
  const generator = new Generator(BigInt(job.seed) * LOADER_SEED_STRIDE + BigInt(range.epoch));
  const loader = new DataLoader(ctx.train as never, { batchSampler: sampler.nonEmpty(), numWorkers: job.numWorkers, generator });
  const batches = (loader as unknown as AsyncIterable<Batch>)[Symbol.asyncIterator]();
  const size = ctx.train.length;
  // Checked every step before optimizer.step(); see NOTE [Non-finite steps].
  const guard = new StepGuard([...model.namedParameters()].filter(([, p]) => p.requiresGrad), rank, worldSize);
  const extra = guard.extra;
  model.train();
  let samples = plan.samplesBefore(range.startBatch);
  let lossSum = 0;
  let steps = 0;
  let skippedSteps = 0;
  const started = performance.now();
  try {
    for (let batch = range.startBatch; batch < plan.numBatches; batch++) {
      const shard = plan.shard(batch, rank, worldSize);
      let localLoss = 0;
      optimizer.zeroGrad();
      const weight = ddp ? shard.indices.length / shard.globalSize : 1;
      // Before backward: DDP scales each bucket as it starts reducing, during backward.
      ddp?.setGradientWeight(weight);
      if (shard.indices.length > 0) {
        const next = await batches.next();
        if (next.done) throw new TrainingError(`the data loader ended before batch ${batch} of epoch ${range.epoch + 1}`);
        const [X, y] = next.value;
        const loss = applyLoss(lossFn, runModel(ctx, X), y);
        loss.backward();
        localLoss = loss.item();
      }
      let value = localLoss;
      // The buckets launched during backward leave before the check below runs.
      await ddp?.flush();
      guard.observeLocal(localLoss, weight);
      if (ddp) {
        await ddp.synchronizeGradients(extra);
        value = extra[0] as number;
      }
      const fault = guard.check(value, { epoch: range.epoch + 1, step: ctx.step + 1, batch }, ddp !== null, (r) => plan.shard(batch, r, worldSize).indices);
      if (fault) {
        if (!ctx.skipNonFiniteSteps) throw new NonFiniteError(fault);
        const poisoned = await poisonedState(model, ctx.processGroup);
        if (poisoned.length > 0) throw new NonFiniteError({ ...fault, poisonedState: poisoned });
        // Every rank reached the same verdict, so every replica skips alike.
        optimizer.zeroGrad();
        skippedSteps++;
        samples += shard.globalSize;
        ctx.warn?.(`[loom] warning: ${describeNonFiniteStep(fault)}: step skipped (skipNonFiniteSteps), ${skippedSteps} skipped in epoch ${range.epoch + 1}`);
        continue;
      }
      optimizer.step();
      if (ctx.scheduler && job.schedulerInterval === 'step') ctx.scheduler.step();
      ctx.step++;
      ctx.lastLoss = value;
      lossSum += value;
      steps++;
      samples += shard.globalSize;
      if (batch % ctx.printEvery === 0) ctx.print(formatLossLine(value, samples, size));
      const event: StepEvent = { kind: 'step', epoch: range.epoch + 1, step: ctx.step, batch, loss: value, samples, epochSamples: plan.numSamples, seconds: (performance.now() - started) / 1000 };
      for (const cb of ctx.callbacks) await cb.onStep?.(event);
      if (range.afterStep) await range.afterStep(batch + 1, plan);
    }
  } finally {
    await batches.return?.();
  }
  return { meanLoss: steps > 0 ? lossSum / steps : NaN, samples: samples - plan.samplesBefore(range.startBatch), skippedSteps };
}
