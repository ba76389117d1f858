/**
 * Data-parallel training is single-process training, run by the real `loom` binary
 * (a coordinator and N worker processes talking gRPC over TCP on 127.0.0.1):
 *
 *   - 40 steps of the seed's MLP (784-512-512-10, SGD, batch 64) on 2533 Fashion-MNIST
 *     images with 1, 2 and 3 workers end with the parameters of an in-process
 *     `Trainer` run; 64 does not divide by 3 and the last batch (37) by neither 2 nor 3;
 *   - a 2-worker run killed after a checkpoint and resumed with `--resume` ends
 *     bit for bit where the uninterrupted run ends;
 *   - the checkpoints decode with `protoc --decode loom.v1.Checkpoint`.
 *
 * Tolerances: the ring sums each segment of a bucket in its own order (NOTE [Rendezvous
 * and ring]) and each worker's matmul sums over its own samples, so N workers differ
 * from one process by float32 rounding. Errors are normwise, ||got - want||_2 /
 * ||want||_2 per tensor: 1e-5 for the parameters (the bound), 1e-3 for their
 * change over the 40 steps, which a wrong shard weight (1/3 instead of 22/64: 3% of
 * every gradient) would break. Not the largest element: a rounding difference can flip
 * one ReLU for one sample at one step (seen with 3 workers between steps 21 and 28),
 * which moves one row of a weight by ~1e-5 of the tensor's largest value for good; a
 * real fault moves every element.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ready, type Tensor } from '@loom/tensor';
import { load } from '@loom/nn';
import { Trainer, type TrainingState } from '@loom/trainer';
import job from './fixtures/seed-mlp-job';

const BIN = path.resolve(__dirname, '../bin/loom.js');
const JOB = path.resolve(__dirname, 'fixtures/seed-mlp-job.ts');
const PROTO_ROOT = path.resolve(__dirname, '../../../proto');
/** ceil(2533 / 64) batches of one epoch. */
const STEPS = 40;
const CHECKPOINT_EVERY = 10;
/** The resume test's workers kill themselves when about to take this step. */
const CRASH_AT_STEP = 25;
/** The bound, relative to each tensor's largest magnitude. */
const PARAM_RTOL = 1e-5;
/** Relative to the largest change of each tensor over the 40 steps (see the module comment). */
const UPDATE_RTOL = 1e-3;

type Params = Map<string, Float32Array>;

interface RunResult {
  code: number | null;
  stderr: string;
}

/** Runs `loom launch` (asynchronously: the test process stays responsive) and collects stderr. */
function launch(workers: number, runDir: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const args = [BIN, 'launch', '--nproc-per-node', String(workers), JOB, '--run-dir', runDir, '--checkpoint-every', String(CHECKPOINT_EVERY), ...extra];
  const child = spawn(process.execPath, args, { env: { ...process.env, LOOM_LOG: 'silent', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

function checkpointFiles(runDir: string): string[] {
  const dir = path.join(runDir, 'checkpoints');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.ckpt')).sort().map((f) => path.join(dir, f));
}

function toParams(named: Iterable<[string, Tensor]>): Params {
  return new Map([...named].map(([name, t]) => [name, (t.data() as Float32Array).slice()]));
}

async function lastCheckpoint(runDir: string): Promise<TrainingState> {
  const file = checkpointFiles(runDir).pop();
  if (!file) throw new Error(`no checkpoint in ${runDir}`);
  return (await load(file)) as TrainingState;
}

/** ||a - b|| / ||b|| in the 2-norm (`Infinity`: the largest element instead). */
function relativeError(a: Float32Array, b: Float32Array, norm: 2 | typeof Infinity): number {
  let diff = 0;
  let ref = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    const r = Math.abs(b[i] as number);
    if (norm === 2) [diff, ref] = [diff + d * d, ref + r * r];
    else [diff, ref] = [Math.max(diff, d), Math.max(ref, r)];
  }
  return norm === 2 ? Math.sqrt(diff) / Math.sqrt(ref) : diff / ref;
}

function minus(a: Float32Array, b: Float32Array): Float32Array {
  return a.map((v, i) => v - (b[i] as number));
}

/** Largest relative errors over all tensors, of the parameters and of their changes from `initial`. */
function relativeDifferences(got: Params, want: Params, initial: Params, norm: 2 | typeof Infinity): { param: number; update: number } {
  let param = 0;
  let update = 0;
  for (const [name, w] of want) {
    const g = got.get(name);
    const i = initial.get(name);
    if (!g || !i || g.length !== w.length) throw new Error(`parameter ${name} is missing or has another size`);
    param = Math.max(param, relativeError(g, w, norm));
    update = Math.max(update, relativeError(minus(g, i), minus(w, i), norm));
  }
  return { param, update };
}

function bitEqual(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** The optimizer state's tensors, by path (momentum buffers of SGD when it has some). */
function optimizerTensors(state: TrainingState): Params {
  const out: Params = new Map();
  const walk = (value: unknown, at: string): void => {
    if (value && typeof value === 'object' && typeof (value as Tensor).data === 'function' && 'shape' in (value as object)) out.set(at, (value as Tensor).data() as Float32Array);
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, `${at}.${k}`);
  };
  walk(state.optimizerStateDict, 'optimizer');
  return out;
}

let initial: Params;
let reference: Params;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-equivalence-'));
const uninterrupted = path.join(tmp, 'n2');

beforeAll(async () => {
  await ready();
  const trainer = new Trainer(job, { print: () => undefined });
  await trainer.setup();
  initial = toParams(trainer.trainedModel.namedParameters());
  const result = await trainer.fit();
  expect(result.step).toBe(STEPS);
  reference = toParams(trainer.trainedModel.namedParameters());
}, 60_000);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test.each([1, 2, 3])('%i worker process(es) end with the single-process parameters', async (workers) => {
  const runDir = workers === 2 ? uninterrupted : path.join(tmp, `n${workers}`);
  const run = await launch(workers, runDir);
  expect(run.stderr).not.toMatch(/loom launch:/);
  expect(run.code).toBe(0);
  // A membership change mid-run (e.g. a worker that finished first leaving while the
  // others still complete the last step) makes the survivors redo a step with fewer
  // workers: a different, though valid, computation. Name it rather than a number.
  expect(run.stderr.split('\n').filter((l) => /continue at/.test(l))).toEqual([]);
  const state = await lastCheckpoint(runDir);
  expect(state.step).toBe(STEPS);
  const got = toParams(Object.entries(state.modelStateDict as Record<string, Tensor>));
  const { param, update } = relativeDifferences(got, reference, initial, 2);
  const largest = relativeDifferences(got, reference, initial, Infinity);
  process.stderr.write(
    `equivalence: ${workers} worker(s): relative error (2-norm) ${param.toExponential(2)} of the parameters, ${update.toExponential(2)} of the 40 steps' change;` +
      ` largest element ${largest.param.toExponential(2)}, ${largest.update.toExponential(2)}\n`,
  );
  expect(param).toBeLessThanOrEqual(PARAM_RTOL);
  expect(update).toBeLessThanOrEqual(UPDATE_RTOL);
}, 60_000);

test('2 workers killed after a checkpoint and resumed end bit for bit as the uninterrupted run', async () => {
  const runDir = path.join(tmp, 'resumed');
  const crashed = await launch(2, runDir, [], { LOOM_TEST_CRASH_AT_STEP: String(CRASH_AT_STEP) });
  expect(crashed.code).not.toBe(0);
  // Killed at step 25: the checkpoints of steps 10 and 20 exist, none later.
  expect(checkpointFiles(runDir).map((f) => path.basename(f))).toEqual(['step-00000010.ckpt', 'step-00000020.ckpt']);
  const resumed = await launch(2, runDir, ['--resume']);
  expect(resumed.stderr).not.toMatch(/loom launch:/);
  expect(resumed.code).toBe(0);
  const [got, want] = [await lastCheckpoint(runDir), await lastCheckpoint(uninterrupted)];
  expect(got.step).toBe(STEPS);
  const gotParams = toParams(Object.entries(got.modelStateDict as Record<string, Tensor>));
  for (const [name, values] of toParams(Object.entries(want.modelStateDict as Record<string, Tensor>))) {
    expect({ name, bitEqual: bitEqual(gotParams.get(name) as Float32Array, values) }).toEqual({ name, bitEqual: true });
  }
  const gotOptimizer = optimizerTensors(got);
  for (const [at, values] of optimizerTensors(want)) expect({ at, bitEqual: bitEqual(gotOptimizer.get(at) as Float32Array, values) }).toEqual({ at, bitEqual: true });
}, 90_000);

const protoc = spawnSync('protoc', ['--version'], { encoding: 'utf8' }).status === 0;
(protoc ? test : test.skip)('checkpoint files decode with protoc --decode loom.v1.Checkpoint', () => {
  const files = [...checkpointFiles(uninterrupted), ...checkpointFiles(path.join(tmp, 'resumed'))];
  expect(files.length).toBeGreaterThan(0);
  for (const file of files) {
    const r = spawnSync('protoc', ['--decode', 'loom.v1.Checkpoint', '-I', PROTO_ROOT, path.join(PROTO_ROOT, 'loom/v1/checkpoint.proto')], { input: fs.readFileSync(file), maxBuffer: 256 * 1024 * 1024 });
    expect({ file: path.basename(file), status: r.status, stderr: r.stderr.toString() }).toEqual({ file: path.basename(file), status: 0, stderr: '' });
    expect(r.stdout.toString()).toContain('magic: "loom.checkpoint"');
  }
});
