/**
 * The seed's `test_loop`: average loss over test batches and accuracy over samples.
 * With a process group, rank r evaluates batches r, r+W, ... and the sums are combined,
 * giving the same figures as one process.
 */
import { noGrad } from '@loom/tensor';
import { DataLoader, SequentialSampler, BatchSampler } from '@loom/data';
import { TrainingError } from '../errors';
import { applyLoss } from '../job/job-spec';
import { rankOf, runModel, type Batch, type RunContext } from './run-context';

/** Accuracy (a fraction) and average loss over the test set. */
export interface EvaluationResult {
  accuracy: number;
  loss: number;
}

/** Runs the test loop. */
export async function evaluate(ctx: RunContext): Promise<EvaluationResult> {
  const test = ctx.test;
  if (!test) throw new TrainingError(`job '${ctx.job.name}' has no test dataset to evaluate on`);
  const { rank, worldSize } = rankOf(ctx);
  const all = [...new BatchSampler(new SequentialSampler(test as never), ctx.job.testBatchSize, false)] as number[][];
  const mine = all.filter((_, b) => b % worldSize === rank);
  const loader = new DataLoader(test as never, { batchSampler: Object.assign(mine, { length: mine.length }) as never, numWorkers: ctx.job.numWorkers });
  const lossFn = ctx.job.loss();
  ctx.model.eval();
  let lossSum = 0;
  let correct = 0;
  await noGrad(async () => {
    for await (const [X, y] of loader as unknown as AsyncIterable<Batch>) {
      const pred = runModel(ctx, X);
      lossSum += applyLoss(lossFn, pred, y).item();
      correct += pred.argmax(1).eq(y).float().sum().item();
    }
  });
  if (ctx.processGroup) {
    const sums = Float32Array.of(lossSum, correct);
    await ctx.processGroup.allReduce(sums);
    [lossSum, correct] = sums as unknown as [number, number];
  }
  return { accuracy: test.length > 0 ? correct / test.length : 0, loss: all.length > 0 ? lossSum / all.length : NaN };
}
