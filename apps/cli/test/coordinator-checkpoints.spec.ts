/**
 * Issue 5 through the CLI: in `loom launch`, rank 0 uploads its checkpoints and the
 * coordinator writes them into the run dir; such a checkpoint resumes a single-process
 * `loom train`, and a `loom train` checkpoint resumes a 2-worker launch, both ending
 * where an uninterrupted run ends. The coordinator also aggregates the workers' step
 * metrics into cluster-metrics.jsonl.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN, readSampleLog, startLoom, tmpDir } from './chaos-harness';

const JOB = path.resolve(__dirname, 'fixtures/tiny-job.ts');

function loom(args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, LOOM_LOG: 'silent', ...env } });
}

/** The final parameter digests the workers wrote to a sample log. */
function finalDigests(log: string): string[] {
  return readSampleLog(log)
    .filter((l) => l.kind === 'final')
    .map((l) => (l as { digest: string }).digest);
}

function lastEpoch(runDir: string): Record<string, number> {
  const lines = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  return lines.filter((l) => l.kind === 'epoch').pop();
}

function checkpoints(runDir: string): string[] {
  return fs.readdirSync(path.join(runDir, 'checkpoints')).sort().map((f) => path.join(runDir, 'checkpoints', f));
}

test('coordinator-written checkpoints resume loom train, and loom train checkpoints resume loom launch', () => {
  const dir = tmpDir();
  // Reference: 2 epochs in one process.
  const whole = path.join(dir, 'whole');
  expect(loom(['train', JOB, '--epochs', '2', '--run-dir', whole]).status).toBe(0);
  const reference = lastEpoch(whole);

  // Epoch 1 with 2 workers: the coordinator writes the checkpoint (worker ranks write none).
  const launched = path.join(dir, 'launched');
  const first = loom(['launch', '--nproc-per-node', '2', JOB, '--epochs', '1', '--run-dir', launched, '--checkpoint-every', '4']);
  expect(first.status).toBe(0);
  expect(checkpoints(launched).map((f) => path.basename(f))).toEqual(['step-00000004.ckpt', 'step-00000008.ckpt', 'step-00000010.ckpt']);
  expect(loom(['checkpoint', 'inspect', checkpoints(launched).pop() as string]).stdout).toContain('integrity: ok');
  const cluster = fs.readFileSync(path.join(launched, 'cluster-metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(cluster.map((c) => c.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  expect(cluster[9]).toMatchObject({ kind: 'cluster-step', epoch: 1, workers: 2 });
  expect(cluster[9].allreduceBytesSent).toBeGreaterThan(0);
  expect(first.stderr).toMatch(/10 steps reported: all-reduce [\d.]+ ms\/step/);

  // ... resumed in one process for epoch 2.
  const resumedSingle = loom(['train', JOB, '--epochs', '2', '--run-dir', launched, '--resume']);
  expect(resumedSingle.status).toBe(0);
  expect(resumedSingle.stdout).not.toContain('Epoch 1\n');
  const single = lastEpoch(launched);
  expect(single).toMatchObject({ epoch: 2, step: 20 });
  expect(Math.abs(single['testAccuracy'] - reference['testAccuracy'])).toBeLessThanOrEqual(0.01);
  expect(single['testLoss']).toBeCloseTo(reference['testLoss'], 4);

  // The other way: epoch 1 in one process, epoch 2 with 2 workers.
  const trained = path.join(dir, 'trained');
  expect(loom(['train', JOB, '--epochs', '1', '--run-dir', trained]).status).toBe(0);
  const resumedLaunch = loom(['launch', '--nproc-per-node', '2', JOB, '--epochs', '2', '--run-dir', trained, '--resume']);
  expect(resumedLaunch.status).toBe(0);
  const launchedEnd = lastEpoch(trained);
  expect(launchedEnd).toMatchObject({ epoch: 2, step: 20, workers: 2 });
  expect(launchedEnd['testLoss']).toBeCloseTo(reference['testLoss'], 4);
  expect(checkpoints(trained).map((f) => path.basename(f))).toContain('step-00000020.ckpt');
}, 120_000);

test("workers started without state resume from a restarted coordinator's checkpoint (LoadCheckpoint), ending where an uninterrupted run ends", async () => {
  const dir = tmpDir();
  // Reference: 2 epochs with 2 workers, uninterrupted.
  const wholeLog = path.join(dir, 'whole.jsonl');
  expect(loom(['launch', '--nproc-per-node', '2', JOB, '--epochs', '2', '--run-dir', path.join(dir, 'whole')], { LOOM_DEBUG_SAMPLE_LOG: wholeLog }).status).toBe(0);
  const reference = finalDigests(wholeLog);
  expect(reference).toHaveLength(2);

  // The job stopped in epoch 1: its newest checkpoint is of step 8 (batch 8 of 10).
  const run = path.join(dir, 'run');
  expect(loom(['launch', '--nproc-per-node', '2', JOB, '--epochs', '1', '--run-dir', run, '--checkpoint-every', '4']).status).toBe(0);
  fs.rmSync(path.join(run, 'checkpoints', 'step-00000010.ckpt'));

  // A new coordinator with --resume, and new workers with no file of their own.
  const port = 30000 + Math.floor(Math.random() * 2000);
  const coordinator = startLoom(['coordinator', JOB, '--port', String(port), '--min-workers', '2', '--run-dir', run, '--epochs', '2', '--resume']);
  await coordinator.line(/resuming: latest valid checkpoint \S+step-00000008\.ckpt \(step 8, epoch 1, batch 8\)/);
  await coordinator.line(/listening on/);
  const log = path.join(dir, 'resumed.jsonl');
  const workers = [0, 1].map(() => startLoom(['worker', '--coordinator', `127.0.0.1:${port}`, '--run-dir', run], log, { RANK: '' }));
  const codes = await Promise.all(workers.map((w) => w.exit));
  expect({ codes, stderr: codes.some((c) => c !== 0) ? workers.map((w) => w.stderr()) : [] }).toEqual({ codes: [0, 0], stderr: [] });
  expect(await coordinator.exit).toBe(0);
  for (const w of workers) expect(w.stderr()).toMatch(/resuming from the coordinator's checkpoint: step 8, epoch 1, batch 8 \(\d+ bytes\)/);
  // Steps 1-8 were not trained again: the first step committed is 9 (epoch 1, batch 8).
  const commits = readSampleLog(log).filter((l) => l.kind === 'commit') as { step: number; epoch: number; batch: number }[];
  expect(Math.min(...commits.map((c) => c.step))).toBe(9);
  expect(commits.find((c) => c.step === 9)).toMatchObject({ epoch: 0, batch: 8 });
  // The replicas end bit-identical to the uninterrupted run's.
  expect(finalDigests(log)).toEqual(reference);
  expect(lastEpoch(run)).toMatchObject({ epoch: 2, step: 20, workers: 2 });
}, 120_000);
