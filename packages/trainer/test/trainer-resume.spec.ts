/**
 * The Trainer end to end on a slice of the real Fashion-MNIST: the seed's lines,
 * checkpoints, and a run interrupted mid-epoch and resumed ending with bit-identical
 * parameters to an uninterrupted one.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultGenerator, ready, type Tensor } from '@loom/tensor';
import { CrossEntropyLoss, Flatten, Linear, Module, ReLU, Sequential, optim, load } from '@loom/nn';
import { FashionMNIST, Subset, ToTensor } from '@loom/data';
import { Trainer, defineJob, type TrainingState } from '../src';

class SmallNet extends Module {
  flatten = new Flatten();
  linear_relu_stack = new Sequential(new Linear(784, 32), new ReLU(), new Linear(32, 10));
  override forward(x: Tensor): Tensor {
    return this.linear_relu_stack(this.flatten(x));
  }
}

const TRAIN_SAMPLES = 640;
const TEST_SAMPLES = 256;

function job() {
  return defineJob({
    name: 'small',
    seed: 3,
    batchSize: 64,
    epochs: 2,
    model: () => new SmallNet(),
    data: () => {
      const train = new FashionMNIST({ root: 'data', train: true, transform: new ToTensor() });
      const test = new FashionMNIST({ root: 'data', train: false, transform: new ToTensor() });
      return {
        train: new Subset(train, Array.from({ length: TRAIN_SAMPLES }, (_, i) => i)),
        test: new Subset(test, Array.from({ length: TEST_SAMPLES }, (_, i) => i)),
      };
    },
    loss: () => new CrossEntropyLoss(),
    optimizer: (params) => new optim.SGD(params, { lr: 0.05, momentum: 0.9 }),
  });
}

function parameters(trainer: Trainer): Float32Array[] {
  return [...trainer.trainedModel.parameters()].map((p) => p.data() as Float32Array);
}

beforeAll(() => ready());

test('prints the seed lines and resumes mid-epoch to bit-identical parameters', async () => {
  const lines: string[] = [];
  const full = new Trainer(job(), { print: (l) => lines.push(l), printEvery: 5 });
  const result = await full.fit();
  const generatorAfterFull = defaultGenerator.getState();
  expect(lines[0]).toBe('Epoch 1');
  expect(lines[1]).toBe('-------------------------------');
  expect(lines[2]).toMatch(/^loss: \d\.\d{6} {2}\[ {3}64\/ {2}640\]$/);
  expect(lines).toContain('Test Error: ');
  expect(lines.some((l) => /^ Accuracy: \d+\.\d%, Avg loss: \d\.\d{6} $/.test(l))).toBe(true);
  expect(lines[lines.length - 1]).toBe('Done!');
  expect(result.step).toBe(20);
  expect(result.epochs[1]!.trainLoss).toBeLessThan(result.epochs[0]!.trainLoss);

  // Interrupted: stop after step 13 (mid-epoch 2) by taking its checkpoint.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-resume-'));
  const first = new Trainer(job(), { print: () => undefined, checkpointDir: dir, checkpointEvery: 13, keepCheckpoints: 10 });
  await first.fit();
  const mid = path.join(dir, 'step-00000013.ckpt');
  expect(fs.existsSync(mid)).toBe(true);
  const state = (await load(mid)) as TrainingState;
  expect([state.epoch, state.batch, state.step]).toEqual([1, 3, 13]);

  const resumed = new Trainer(job(), { print: () => undefined, resumeFrom: mid });
  const after = await resumed.fit();
  // Also the default generator (dropout, augmentation) ends where the uninterrupted run's did.
  expect(Buffer.from(defaultGenerator.getState()).equals(Buffer.from(generatorAfterFull))).toBe(true);
  expect(after.step).toBe(20);
  const a = parameters(full);
  const b = parameters(resumed);
  a.forEach((values, i) => expect(Buffer.from(b[i]!.buffer).equals(Buffer.from(values.buffer))).toBe(true));
}, 120_000);
