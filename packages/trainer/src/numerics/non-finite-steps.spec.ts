/**
 * Fault 6 of issue 7 in one process: a NaN/inf loss or gradient stops training before
 * `optimizer.step()` (weights and checkpoints stay finite) with an error naming epoch,
 * step, batch, rank and parameter; with `skipNonFiniteSteps` the step is skipped, on
 * every rank alike.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fromArray, noGrad, ready, tensor, type Tensor } from '@loom/tensor';
import { load, optim } from '@loom/nn';
import { TensorDataset } from '@loom/data';
import { defineJob } from '../job/define-job';
import type { TrainableModel } from '../job/job-spec';
import { Trainer } from '../trainer';
import type { TrainerOptions } from '../trainer-options';
import { InProcessGroup } from '../distributed/process-group';
import { NonFiniteError } from './non-finite-error';
import type { TrainingState } from '../checkpoint/training-state';

const SAMPLES = 16;
const BATCH = 4;

/** `y = sum(sqrt(w * x))`: an input of zeros gives a finite output but a NaN gradient (0/0). */
class SqrtModel implements TrainableModel {
  readonly w = tensor([0.5, 0.5]).keep().requiresGrad_();
  forward(x: Tensor): Tensor {
    return x.mul(this.w).sqrt().sum(1);
  }
  parameters(): Tensor[] {
    return [this.w];
  }
  *namedParameters(): Iterable<[string, Tensor]> {
    yield ['w', this.w];
  }
  train(): void {}
  eval(): void {}
  stateDict(): Record<string, Tensor> {
    return { w: this.w };
  }
  loadStateDict(sd: never): void {
    this.w.copy_((sd as { w: Tensor }).w);
  }
}

/** {@link SqrtModel} with a running mean of its inputs, as BatchNorm keeps (a buffer updated by forward). */
class RunningMeanModel extends SqrtModel {
  readonly running = tensor([0]).keep();
  override forward(x: Tensor): Tensor {
    noGrad(() => this.running.mul_(0.9).add_(x.mean().mul(0.1)));
    return super.forward(x);
  }
  override stateDict(): Record<string, Tensor> {
    return { ...super.stateDict(), running: this.running };
  }
}

/** A job on 16 samples in order (4 batches of 4); `poison` replaces samples' inputs. */
function job(poison: Record<number, [number, number]>, skipNonFiniteSteps?: boolean, model: () => SqrtModel = () => new SqrtModel()) {
  const x = new Float32Array(SAMPLES * 2);
  for (let i = 0; i < SAMPLES; i++) [x[2 * i], x[2 * i + 1]] = poison[i] ?? [1 + i / SAMPLES, 2];
  const y = Float32Array.from({ length: SAMPLES }, (_, i) => 1 + (i % 3));
  return defineJob({
    name: 'sqrt',
    batchSize: BATCH,
    epochs: 1,
    shuffle: false,
    skipNonFiniteSteps,
    model,
    data: () => ({ train: new TensorDataset(fromArray(x, [SAMPLES, 2]), fromArray(y, [SAMPLES])) }),
    loss: () => (pred: Tensor, target: Tensor) => pred.sub(target).square().mean(),
    optimizer: (params) => new optim.SGD(params, { lr: 0.01 }),
  });
}

const quiet: TrainerOptions = { print: () => undefined, warn: () => undefined };

function weightsOf(trainer: Trainer): number[] {
  return Array.from([...trainer.trainedModel.parameters()][0]!.data());
}

beforeAll(() => ready());

test('a NaN sample stops training before the optimizer step, naming epoch, step, batch and rank', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-nonfinite-'));
  let before: number[] = [];
  const trainer = new Trainer(job({ 9: [NaN, NaN] }), {
    ...quiet,
    checkpointDir: dir,
    checkpointEvery: 1,
    callbacks: [{ onStep: () => void (before = weightsOf(trainer)) }],
  });
  const err = await trainer.fit().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NonFiniteError);
  expect((err as NonFiniteError).detail).toMatchObject({ epoch: 1, step: 3, batch: 2, rank: 0, lossRanks: [0], parameters: ['w'] });
  expect((err as Error).message).toMatch(/^training loss is NaN at epoch 1, step 3, batch 2 on rank 0 \(dataset samples 8-11\); gradients non-finite in w\nhelp: the optimizer step was not taken/);
  // The weights are those after step 2, and so is the newest checkpoint.
  expect(weightsOf(trainer)).toEqual(before);
  expect(before.every(Number.isFinite)).toBe(true);
  const saved = await load<TrainingState>(path.join(dir, 'step-00000002.ckpt'));
  expect(Array.from((saved.modelStateDict as { w: Tensor }).w.data())).toEqual(before);
  expect(fs.readdirSync(dir).sort()).toEqual(['step-00000001.ckpt', 'step-00000002.ckpt']);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a NaN gradient with a finite loss names the parameter', async () => {
  const err = await new Trainer(job({ 5: [0, 0] }), quiet).fit().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NonFiniteError);
  expect((err as Error).message).toMatch(/^gradient is not finite \(NaN or infinity\) in w at epoch 1, step 2, batch 1 on rank 0 \(dataset samples 4-7\), with a finite loss of \d/);
  expect((err as NonFiniteError).detail).toMatchObject({ lossRanks: [], gradientRanks: [0], parameters: ['w'] });
});

test('skipNonFiniteSteps skips the step: no optimizer step, a warning, counted in the epoch event', async () => {
  const warnings: string[] = [];
  const steps: number[] = [];
  const trainer = new Trainer(job({ 9: [NaN, NaN] }, true), { ...quiet, warn: (l) => warnings.push(l), callbacks: [{ onStep: (e) => void steps.push(e.batch) }] });
  const result = await trainer.fit();
  expect(result.step).toBe(3);
  expect(steps).toEqual([0, 1, 3]);
  expect(result.epochs[0]).toMatchObject({ skippedSteps: 1 });
  expect(warnings).toEqual([expect.stringMatching(/^\[loom\] warning: training loss is NaN at epoch 1, step 3, batch 2 on rank 0.*: step skipped \(skipNonFiniteSteps\), 1 skipped in epoch 1$/)]);
  expect(weightsOf(trainer).every(Number.isFinite)).toBe(true);
  // The trainer option overrides the job's.
  await expect(new Trainer(job({ 9: [NaN, NaN] }, true), { ...quiet, skipNonFiniteSteps: false }).fit()).rejects.toBeInstanceOf(NonFiniteError);
});

test('a step cannot be skipped once its forward pass made a buffer non-finite (BatchNorm running statistics)', async () => {
  const err = await new Trainer(job({ 9: [NaN, NaN] }, true, () => new RunningMeanModel()), quiet).fit().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NonFiniteError);
  expect((err as NonFiniteError).detail.poisonedState).toEqual(['running']);
  expect((err as Error).message).toMatch(/batch 2 on rank 0 .*; the step cannot be skipped: its forward pass already wrote NaN\/inf into running \(running statistics\)\n/);
  // A gradient-only fault leaves the buffer finite: that step is skipped.
  const result = await new Trainer(job({ 5: [0, 0] }, true, () => new RunningMeanModel()), quiet).fit();
  expect(result.epochs[0]?.skippedSteps).toBe(1);
});

describe('two ranks (in-process group)', () => {
  // Batch 2 holds samples 8..11: rank 0 trains 8 and 9, rank 1 trains 10 and 11.
  const poison = { 10: [NaN, NaN] as [number, number] };

  function ranks(skip: boolean): Trainer[] {
    return InProcessGroup.create(2).map((processGroup) => new Trainer(job(poison, skip), { ...quiet, processGroup }));
  }

  test('both ranks stop at the same step, naming the rank whose loss was NaN', async () => {
    const errors = await Promise.all(ranks(false).map((t) => t.fit().catch((e: unknown) => e)));
    for (const [rank, err] of errors.entries()) {
      expect(err).toBeInstanceOf(NonFiniteError);
      expect((err as NonFiniteError).detail).toMatchObject({ step: 3, batch: 2, rank, worldSize: 2, lossRanks: [1], gradientRanks: [1], parameters: ['w'], samples: [10, 11] });
      expect((err as Error).message).toContain('training loss is NaN at epoch 1, step 3, batch 2 on rank 1 of 2 (dataset samples 10-11)');
    }
  });

  test('with skipNonFiniteSteps both ranks skip it and stay identical', async () => {
    const trainers = ranks(true);
    const results = await Promise.all(trainers.map((t) => t.fit()));
    expect(results.map((r) => [r.step, r.epochs[0]!.skippedSteps])).toEqual([[3, 1], [3, 1]]);
    const [w0, w1] = trainers.map(weightsOf);
    expect(w0).toEqual(w1);
    expect(w0!.every(Number.isFinite)).toBe(true);
  });
});
