/**
 * Chaos tests of elastic training (issue 7, faults 1, 2 and 7) with the real `loom`
 * binary: 3 local workers on chaos-job (320 samples, 10 steps per epoch, each step
 * slowed to about 100 ms), one of them SIGKILLed or SIGSTOPped mid-run. The sample log
 * (LOOM_DEBUG_SAMPLE_LOG) records what every worker committed; the checks: detection
 * within 5 s, every sample of every epoch trained exactly once, replicas identical at
 * the end, and the same accuracy as an undisturbed single-process run.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { BIN, CHAOS_JOB, checkExactlyOnce, epochMetrics, readSampleLog, startLoom, tmpDir, waitForCommit } from './chaos-harness';

const EPOCHS = 3;
/** Issue 7: a crash is noticed within 5 s. */
const DETECTION_LIMIT_MS = 5000;
/** Far below the ring's 30 s connect timeout, far above a recovery's usual 10-100 ms. */
const RECOVERY_LIMIT_MS = 10_000;

let baselineAccuracy: number;

beforeAll(() => {
  const runDir = path.join(tmpDir(), 'single');
  const r = spawnSync(process.execPath, [BIN, 'train', CHAOS_JOB, '--epochs', String(EPOCHS), '--run-dir', runDir], { encoding: 'utf8', env: { ...process.env, LOOM_LOG: 'silent' }, timeout: 60_000 });
  expect(r.status).toBe(0);
  baselineAccuracy = epochMetrics(runDir).pop()?.['testAccuracy'] as number;
}, 60_000);

function finalDigests(log: string): { rank: number; worldSize: number; digest: string }[] {
  return readSampleLog(log).filter((l) => l.kind === 'final') as never;
}

/**
 * After `killed` workers were SIGKILLed mid-run and 2 survived: every sample of every
 * epoch trained exactly once (at most the interrupted steps lack a killed worker's line,
 * or were committed by it alone), training ended at `lastMembership`, the 2 replicas are
 * identical, and the accuracy is that of an undisturbed single-process run.
 */
function expectNothingLost(log: string, runDir: string, { killed, lastMembership }: { killed: number; lastMembership: number }): void {
  const { memberships, unrecorded, orphaned } = checkExactlyOnce(readSampleLog(log), EPOCHS);
  expect(unrecorded).toBeLessThanOrEqual(killed);
  expect(orphaned).toBeLessThanOrEqual(killed);
  expect(memberships[0]).toBe(1);
  expect(memberships[memberships.length - 1]).toBe(lastMembership);
  const finals = finalDigests(log);
  expect(finals.map((f) => f.worldSize)).toEqual([2, 2]);
  expect(new Set(finals.map((f) => f.digest)).size).toBe(1);
  const last = epochMetrics(runDir).pop() as Record<string, number>;
  expect(last).toMatchObject({ epoch: EPOCHS, step: EPOCHS * 10, workers: 2 });
  expect(Math.abs((last['testAccuracy'] as number) - baselineAccuracy)).toBeLessThanOrEqual(0.01);
}

test('fault 7: minWorkers never reached: the coordinator and the worker fail with a clear error, no hang', async () => {
  const port = 29000 + Math.floor(Math.random() * 1000);
  const started = Date.now();
  const coordinator = startLoom(['coordinator', CHAOS_JOB, '--port', String(port), '--min-workers', '2', '--rendezvous-timeout', '2']);
  await coordinator.line(/listening on/);
  const worker = startLoom(['worker', CHAOS_JOB, '--coordinator', `127.0.0.1:${port}`, '--run-dir', path.join(tmpDir(), 'run')]);
  const [coordinatorCode, workerCode] = await Promise.all([coordinator.exit, worker.exit]);
  expect(Date.now() - started).toBeLessThan(20_000);
  expect(coordinatorCode).toBe(1);
  expect(workerCode).toBe(1);
  for (const text of [coordinator.stderr(), worker.stderr()]) expect(text).toMatch(/rendezvous timed out after 2000 ms: 1 of minWorkers=2 workers joined/);
  const usage = spawnSync(process.execPath, [BIN, 'launch', '--nproc-per-node', '2', '--min-workers', '3', CHAOS_JOB], { encoding: 'utf8' });
  expect(usage.status).toBe(2);
  expect(usage.stderr).toContain("--min-workers: invalid value '3': expected at most --nproc-per-node (2)");
}, 30_000);

// Rank 0 too: it prints the seed's lines and writes the run dir, which the new rank 0 takes over.
test.each([2, 0])('fault 1: the worker of rank %i SIGKILLed mid-step: the survivors redo the step re-sharded, nothing is lost or trained twice', async (victimRank) => {
  const dir = tmpDir();
  const log = path.join(dir, 'samples.jsonl');
  const runDir = path.join(dir, 'run');
  const launch = startLoom(['launch', '--nproc-per-node', '3', '--min-workers', '2', CHAOS_JOB, '--epochs', String(EPOCHS), '--run-dir', runDir], log);
  const victim = await waitForCommit(log, (c) => c.rank === victimRank && c.step === 4);
  process.kill(victim.pid, 'SIGKILL');
  const killedAt = Date.now();
  const detected = await launch.line(/membership epoch 2: worker .* control stream broke/);
  const recovered = await launch.line(/membership epoch 2: 2 workers continue at epoch/);
  expect(await launch.exit).toBe(0);
  const detectionMs = detected.at - killedAt;
  expect(detectionMs).toBeLessThan(DETECTION_LIMIT_MS);
  expect(launch.stderr()).toContain(`worker ${victimRank} exited with SIGKILL; training goes on while at least 2 workers are alive`);
  expect(launch.stdout().trim().endsWith('Done!')).toBe(true);
  expectNothingLost(log, runDir, { killed: 1, lastMembership: 2 });
  process.stderr.write(`fault 1 (rank ${victimRank}): detected ${detectionMs} ms after SIGKILL; training resumed ${recovered.at - killedAt} ms after it (${recovered.text.trim()})\n`);
}, 60_000);

test('fault 1, twice: a second worker SIGKILLed while the group recovers from the first: it takes the next membership at once and nothing is lost', async () => {
  const dir = tmpDir();
  const log = path.join(dir, 'samples.jsonl');
  const runDir = path.join(dir, 'run');
  const launch = startLoom(['launch', '--nproc-per-node', '4', '--min-workers', '2', CHAOS_JOB, '--epochs', String(EPOCHS), '--run-dir', runDir], log);
  const first = await waitForCommit(log, (c) => c.rank === 3 && c.step === 4);
  const second = await waitForCommit(log, (c) => c.rank === 1 && c.membershipEpoch === 1);
  process.kill(first.pid, 'SIGKILL');
  // The coordinator has told the survivors: they are re-forming the ring at epoch 2,
  // rank 2 by connecting to rank 1, which dies now.
  await launch.line(/membership epoch 2: worker .* control stream broke/);
  process.kill(second.pid, 'SIGKILL');
  await launch.line(/membership epoch 3: worker .* control stream broke/);
  const recovered = await launch.line(/membership epoch 3: 2 workers continue at epoch \d+, batch \d+ .*recovered in (\d+) ms/);
  expect(await launch.exit).toBe(0);
  expect(launch.stdout().trim().endsWith('Done!')).toBe(true);
  // A rank connecting to the dead neighbour used to wait for the whole connect timeout
  // (30 s) before taking the newer membership; now the newer membership ends that wait.
  const recoveryMs = Number(/recovered in (\d+) ms/.exec(recovered.text)?.[1]);
  expect(recoveryMs).toBeLessThan(RECOVERY_LIMIT_MS);
  expectNothingLost(log, runDir, { killed: 2, lastMembership: 3 });
  process.stderr.write(`fault 1, twice: training resumed, recovered in ${recoveryMs} ms\n`);
}, 90_000);

test('fault 2: a worker hung with SIGSTOP is dropped at the heartbeat deadline and refused when it wakes up', async () => {
  const dir = tmpDir();
  const log = path.join(dir, 'samples.jsonl');
  const runDir = path.join(dir, 'run');
  const launch = startLoom(['launch', '--nproc-per-node', '3', '--min-workers', '2', CHAOS_JOB, '--epochs', String(EPOCHS), '--run-dir', runDir], log);
  const victim = await waitForCommit(log, (c) => c.rank === 2 && c.step === 4);
  process.kill(victim.pid, 'SIGSTOP');
  const stoppedAt = Date.now();
  try {
    const detected = await launch.line(/membership epoch 2: worker .* missed its heartbeat deadline of 5000 ms/);
    const detectionMs = detected.at - stoppedAt;
    expect(detectionMs).toBeLessThan(DETECTION_LIMIT_MS + 1500);
    // Let the survivors train a step at the new membership before the hung worker wakes.
    await waitForCommit(log, (c) => c.membershipEpoch === 2);
    process.stderr.write(`fault 2: hung worker dropped ${detectionMs} ms after SIGSTOP\n`);
  } finally {
    process.kill(victim.pid, 'SIGCONT');
  }
  expect(await launch.exit).toBe(0);
  expect(launch.stderr()).toMatch(/\[worker 2\] loom worker: worker \S+ was removed from the group/);
  expect(launch.stderr()).toContain('worker 2 exited with code 1; training goes on');
  const { unrecorded, orphaned } = checkExactlyOnce(readSampleLog(log), EPOCHS);
  expect(unrecorded + orphaned).toBeLessThanOrEqual(2);
  const finals = finalDigests(log);
  expect(finals.map((f) => f.worldSize)).toEqual([2, 2]);
  expect(new Set(finals.map((f) => f.digest)).size).toBe(1);
  expect(Math.abs((epochMetrics(runDir).pop()?.['testAccuracy'] as number) - baselineAccuracy)).toBeLessThanOrEqual(0.01);
}, 60_000);

test('below --min-workers the run stops with an error naming the count; without --min-workers any death stops it', async () => {
  const dir = tmpDir();
  const log = path.join(dir, 'samples.jsonl');
  const elastic = startLoom(['launch', '--nproc-per-node', '3', '--min-workers', '2', CHAOS_JOB, '--epochs', String(EPOCHS), '--run-dir', path.join(dir, 'a')], log);
  const first = await waitForCommit(log, (c) => c.rank === 1 && c.step === 2);
  const second = await waitForCommit(log, (c) => c.rank === 2 && c.step === 2);
  process.kill(first.pid, 'SIGKILL');
  process.kill(second.pid, 'SIGKILL');
  expect(await elastic.exit).toBe(1);
  expect(elastic.stderr()).toMatch(/loom launch: 1 workers left after .*, fewer than minWorkers=2/);

  const strictLog = path.join(dir, 'strict.jsonl');
  const strict = startLoom(['launch', '--nproc-per-node', '2', CHAOS_JOB, '--epochs', String(EPOCHS), '--run-dir', path.join(dir, 'b')], strictLog);
  const victim = await waitForCommit(strictLog, (c) => c.rank === 1 && c.step === 2);
  process.kill(victim.pid, 'SIGKILL');
  expect(await strict.exit).toBe(1);
  expect(strict.stderr()).toMatch(/loom launch: 1 workers left after worker \S+'s control stream broke .*, fewer than minWorkers=2/);
}, 60_000);
