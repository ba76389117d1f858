/**
 * Issue 7, fault 6, with the real `loom` binary: a job whose sample 120 is all NaN
 * (fixtures/nan-job.ts, unshuffled: batch 3, in the second worker's piece when two
 * workers split it). The run stops before the optimizer step with an error naming
 * epoch, step, batch and rank, exit code 1, and the newest checkpoint holds only finite
 * weights; with --skip-nonfinite-steps the step is skipped on every rank, reported, and
 * the run finishes.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { load } from '@loom/nn';
import type { Tensor } from '@loom/tensor';

const BIN = path.resolve(__dirname, '../bin/loom.js');
const NAN_JOB = path.resolve(__dirname, 'fixtures/nan-job.ts');

function loom(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, LOOM_LOG: 'silent' } });
}

let root: string;
beforeAll(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-faults-nan-'))));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function checkpoints(runDir: string): string[] {
  return fs.readdirSync(path.join(runDir, 'checkpoints')).sort();
}

/** Every float of every tensor of the checkpoint's model weights. */
async function weightsOf(file: string): Promise<number[]> {
  const { modelStateDict } = await load<{ modelStateDict: Record<string, Tensor> }>(file);
  return Object.values(modelStateDict).flatMap((t) => Array.from(t.data()));
}

function epochLines(runDir: string): Record<string, unknown>[] {
  return fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((m) => m.kind === 'epoch');
}

const GRADIENTS = '; gradients non-finite in linear_relu_stack.0.weight, linear_relu_stack.0.bias, linear_relu_stack.2.weight, linear_relu_stack.2.bias\nhelp: the optimizer step was not taken';

test.each([
  ['train (one process)', ['train'], 'on rank 0 (dataset samples 96-127)', 'loom train: '],
  ['launch --nproc-per-node 2', ['launch', '--nproc-per-node', '2'], 'on rank 1 of 2 (dataset samples 112-127)', 'loom launch: worker '],
])('%s: a NaN loss stops the run before the optimizer step; exit 1, the newest checkpoint is finite', async (name, command, where, prefix) => {
  const runDir = path.join(root, name.split(' ')[0] as string);
  const r = loom([...command, NAN_JOB, '--run-dir', runDir, '--checkpoint-every', '1']);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`training loss is NaN at epoch 1, step 4, batch 3 ${where}${GRADIENTS}`);
  expect(r.stderr).toContain(prefix);
  expect(r.stdout).not.toContain('Done!');
  expect(checkpoints(runDir)).toEqual(['step-00000001.ckpt', 'step-00000002.ckpt', 'step-00000003.ckpt']);
  const weights = await weightsOf(path.join(runDir, 'checkpoints', 'step-00000003.ckpt'));
  expect(weights.length).toBe(784 * 16 + 16 + 16 * 10 + 10);
  expect(weights.every(Number.isFinite)).toBe(true);
}, 60_000);

test.each([
  ['train (one process)', ['train'], 'on rank 0 (dataset samples 96-127)'],
  ['launch --nproc-per-node 2', ['launch', '--nproc-per-node', '2'], 'on rank 1 of 2 (dataset samples 112-127)'],
])('%s --skip-nonfinite-steps: the step is skipped with a warning, counted in metrics, and the run finishes', async (name, command, where) => {
  const runDir = path.join(root, `skip-${name.split(' ')[0]}`);
  const r = loom([...command, NAN_JOB, '--run-dir', runDir, '--epochs', '2', '--skip-nonfinite-steps']);
  expect(r.status).toBe(0);
  const warnings = r.stderr.split('\n').filter((l) => l.includes('warning:'));
  expect(warnings).toEqual([
    expect.stringMatching(new RegExp(`^\\[loom\\] warning: training loss is NaN at epoch 1, step 4, batch 3 ${where.replace(/[()]/g, '\\$&')}; .*: step skipped \\(skipNonFiniteSteps\\), 1 skipped in epoch 1$`)),
    expect.stringMatching(/^\[loom\] warning: training loss is NaN at epoch 2, step 13, batch 3 .*1 skipped in epoch 2$/),
  ]);
  expect(r.stdout.trim().endsWith('Done!')).toBe(true);
  expect(epochLines(runDir).map((e) => [e['epoch'], e['step'], e['skippedSteps']])).toEqual([[1, 9, 1], [2, 18, 1]]);
  const last = checkpoints(runDir).pop() as string;
  expect(last).toBe('step-00000018.ckpt');
  expect((await weightsOf(path.join(runDir, 'checkpoints', last))).every(Number.isFinite)).toBe(true);
}, 60_000);
