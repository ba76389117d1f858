/**
 * examples/quickstart-loop.ts end to end, as a user runs it (`node examples/run.js
 * examples/quickstart-loop.ts ...`, on the built packages) on the first 2000 samples of
 * the real Fashion-MNIST: the seed's lines in the seed's formats, the checkpoint it
 * saves, and the same test figures after loading it into a fresh model.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { load } from '@loom/nn';

const REPO_ROOT = path.join(__dirname, '../../..');
/** Debian's dataset-fashion-mnist, installed here and in CI (the example falls back to downloading). */
const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
/** Samples per split: 32 batches of 64 (the last one 16), enough for a loss line. */
const LIMIT = 2000;
/** The example's process: data loading, one epoch of 2000 samples, two test passes. */
const RUN_TIMEOUT_MS = 120_000;

/** `Test Error: \n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \n` */
const TEST_SUMMARY = [/^Test Error: $/, /^ Accuracy: \d{1,3}\.\d%, Avg loss: {0,7}\d+\.\d{6} $/, /^$/];

let dir: string;
beforeAll(() => {
  if (!fs.existsSync(FASHION_MNIST_DIR)) throw new Error(`${FASHION_MNIST_DIR} is missing: apt-get install dataset-fashion-mnist`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-quickstart-loop-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('trains an epoch, prints the seed lines, saves, loads and evaluates to the same figures', async () => {
  const checkpoint = path.join(dir, 'model.ckpt');
  const args = ['examples/run.js', 'examples/quickstart-loop.ts', '--epochs', '1', '--limit', String(LIMIT), '--checkpoint', checkpoint, '--data-root', dir];
  const run = spawnSync(process.execPath, args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: RUN_TIMEOUT_MS,
    env: { ...process.env, LOOM_LOG: 'silent' },
  });
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${run.status ?? run.signal}:\n${run.stdout}\n${run.stderr}`);

  const lines = run.stdout.split('\n');
  const expected = [
    /^Using (cpu|cuda) device$/,
    /^Epoch 1$/,
    /^-{31}$/,
    /^loss: {0,6}\d+\.\d{6} {2}\[ {3}64\/ 2000\]$/, // `loss: {loss:>7f}  [{current:>5d}/{size:>5d}]` at batch 0 only
    ...TEST_SUMMARY,
    /^Done!$/,
    new RegExp(`^Loaded ${checkpoint.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: epoch 1, loss \\d+\\.\\d{6}$`),
    ...TEST_SUMMARY,
    /^$/, // the end of the last line
  ];
  expect(lines).toHaveLength(expected.length);
  lines.forEach((line, i) => expect(line).toMatch(expected[i]!));

  // Same weights, same data: the figures after loading are those before saving.
  const [before, after] = [lines[5], lines[10]];
  expect(after).toBe(before);

  // The file holds the seed's dictionary with PyTorch's state-dict keys.
  expect(fs.existsSync(checkpoint)).toBe(true);
  const saved = await load<{ epoch: number; loss: number; modelStateDict: Record<string, unknown>; optimizerStateDict: { paramGroups: { lr: number }[] } }>(checkpoint);
  expect(saved.epoch).toBe(1);
  expect(Number.isFinite(saved.loss)).toBe(true);
  expect(Object.keys(saved.modelStateDict)).toEqual(
    [0, 2, 4].flatMap((i) => [`linear_relu_stack.${i}.weight`, `linear_relu_stack.${i}.bias`]),
  );
  expect(saved.optimizerStateDict.paramGroups[0]!.lr).toBe(1e-3);
}, RUN_TIMEOUT_MS + 10_000);
