/**
 * The `loom` binary as users run it (the built apps/cli/bin/loom.js, as a child
 * process): help, usage errors, single-process and 2-worker training to completion,
 * resuming a stopped run, and checkpoint inspection of good and damaged files.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const BIN = path.resolve(__dirname, '../bin/loom.js');
const JOB = path.resolve(__dirname, 'fixtures/tiny-job.ts');
const COMMANDS = ['launch', 'train', 'coordinator', 'worker', 'eval', 'checkpoint'];

function loom(args: string[], timeoutMs = 120_000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, LOOM_LOG: 'silent' } });
}

function tmpRunDir(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loom-cli-')), 'run');
}

function metrics(runDir: string): Record<string, unknown>[] {
  return fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

function checkpoints(runDir: string): string[] {
  return fs.readdirSync(path.join(runDir, 'checkpoints')).filter((f) => f.endsWith('.ckpt')).sort().map((f) => path.join(runDir, 'checkpoints', f));
}

test.each(COMMANDS)('loom %s --help prints usage and exits 0', (cmd) => {
  const r = loom([cmd, '--help']);
  expect(r.status).toBe(0);
  expect(r.stdout).toContain(`Usage: loom ${cmd}`);
});

test.each([
  [['train', JOB, '--epochs', '0'], "--epochs: invalid value '0': expected an integer >= 1"],
  [['train', JOB, '--lr', 'fast'], "--lr: invalid value 'fast': expected a number >= 0"],
  [['launch', '--nproc-per-node', '0', JOB], "--nproc-per-node: invalid value '0'"],
  [['train', JOB, '--device', 'tpu'], "--device: invalid value 'tpu': expected one of cpu, cuda"],
  [['train'], 'missing JOB'],
  [['frobnicate'], "unknown command 'frobnicate'"],
  [['worker', JOB], '--coordinator HOST:PORT is required'],
])('%j is bad usage: exit 2 and a message naming the flag and value', (args, message) => {
  const r = loom(args);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain(message);
});

test('--device cuda without a GPU backend fails at once with the install hint', () => {
  const r = loom(['train', JOB, '--device', 'cuda']);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('@tensorflow/tfjs-node-gpu');
});

test('launch with 2 workers trains to completion and writes the run directory', () => {
  const runDir = tmpRunDir();
  const r = loom(['launch', '--nproc-per-node', '2', JOB, '--run-dir', runDir, '--epochs', '2']);
  expect(r.stderr).not.toMatch(/loom launch:/);
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('Epoch 1\n-------------------------------\nloss: ');
  expect(r.stdout).toMatch(/Test Error: \n Accuracy: \d+\.\d%, Avg loss: \d+\.\d{6} \n/);
  expect(r.stdout.trim().endsWith('Done!')).toBe(true);
  const epochs = metrics(runDir).filter((m) => m['kind'] === 'epoch');
  expect(epochs).toHaveLength(2);
  expect(epochs[1]).toMatchObject({ epoch: 2, step: 20, workers: 2 });
  expect(typeof epochs[1]!['testAccuracy']).toBe('number');
  expect(JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8'))).toMatchObject({ workers: 2, epochs: 2 });
  expect(fs.readdirSync(runDir).some((f) => f.startsWith('events.out.tfevents.'))).toBe(true);
  const ckpts = checkpoints(runDir);
  expect(ckpts.length).toBeGreaterThan(0);
  const inspect = loom(['checkpoint', 'inspect', ckpts[ckpts.length - 1]!]);
  expect(inspect.status).toBe(0);
  expect(inspect.stdout).toContain('integrity: ok');
  expect(inspect.stdout).toContain('step: 20');
  expect(inspect.stdout).toContain('modelStateDict.linear_relu_stack.0.weight  [16, 784]  float32');
}, 180_000);

test('--resume continues a stopped run from its latest checkpoint', () => {
  const runDir = tmpRunDir();
  const first = loom(['train', JOB, '--run-dir', runDir, '--epochs', '1']);
  expect(first.status).toBe(0);
  const resumed = loom(['train', JOB, '--run-dir', runDir, '--epochs', '2', '--resume']);
  expect(resumed.status).toBe(0);
  expect(resumed.stdout).not.toContain('Epoch 1\n');
  expect(resumed.stdout).toContain('Epoch 2\n');
  const last = checkpoints(runDir).pop()!;
  expect(loom(['checkpoint', 'inspect', last]).stdout).toContain('step: 20');
  const evaluated = loom(['eval', JOB, '--checkpoint', last]);
  expect(evaluated.status).toBe(0);
  expect(evaluated.stdout).toMatch(/ Accuracy: \d+\.\d%/);
}, 180_000);

test('checkpoint inspect refuses a damaged file with exit 1 and says why', () => {
  const runDir = tmpRunDir();
  expect(loom(['train', JOB, '--run-dir', runDir]).status).toBe(0);
  const good = checkpoints(runDir).pop()!;
  const bad = path.join(path.dirname(good), 'damaged.ckpt');
  const bytes = fs.readFileSync(good);
  bytes[Math.floor(bytes.length / 2)] ^= 0xff;
  fs.writeFileSync(bad, bytes);
  const r = loom(['checkpoint', 'inspect', bad]);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('damaged.ckpt');
  expect(r.stderr.toLowerCase()).toMatch(/corrupt|sha-256|hash/);
  fs.writeFileSync(bad, bytes.subarray(0, 100));
  const truncated = loom(['checkpoint', 'inspect', bad]);
  expect(truncated.status).toBe(1);
  expect(truncated.stderr).toContain('truncated');
}, 120_000);

test('the multi-node form: a coordinator and two workers started separately', async () => {
  const { spawn } = await import('node:child_process');
  const runDir = tmpRunDir();
  const port = 29000 + Math.floor(Math.random() * 1000);
  const env = { ...process.env, LOOM_LOG: 'silent' };
  const coordinator = spawn(process.execPath, [BIN, 'coordinator', JOB, '--port', String(port), '--min-workers', '2', '--run-dir', runDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = (p: ReturnType<typeof spawn>): Promise<number | null> => new Promise((resolve) => p.on('exit', (code) => resolve(code)));
  const coordinatorExit = exited(coordinator);
  const workers = [0, 1].map(() =>
    spawn(process.execPath, [BIN, 'worker', JOB, '--coordinator', `127.0.0.1:${port}`, '--run-dir', runDir], { env, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  let out = '';
  workers[0]!.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  workers[1]!.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const codes = await Promise.all(workers.map(exited));
  expect(codes).toEqual([0, 0]);
  expect(await coordinatorExit).toBe(0);
  expect(out).toContain('Done!');
  expect(metrics(runDir).filter((m) => m['kind'] === 'epoch')[0]).toMatchObject({ workers: 2, step: 10 });
}, 180_000);
