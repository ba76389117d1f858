/**
 * Chaos tests around the coordinator (issue 7, faults 4 and 3; issue 6's JOB-less
 * workers): the coordinator SIGKILLed mid-run and restarted with `--resume`, and a
 * third worker joining a running 2-worker job. Workers are started without JOB and
 * take the job and its flags from the coordinator. The sample log checks that every
 * sample of every epoch is trained exactly once and that replicas end identical.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHAOS_JOB, checkExactlyOnce, readSampleLog, startLoom, tmpDir, waitForCommit, type Running } from './chaos-harness';

const EPOCHS = 3;
/** Slower samples than the elastic tests: 2 workers must not finish during the outage. */
const DELAY = { LOOM_CHAOS_SAMPLE_DELAY_MS: '15', RANK: '' };

function port(): number {
  return 30000 + Math.floor(Math.random() * 2000);
}

function worker(p: number, runDir: string, log: string): Running {
  return startLoom(['worker', '--coordinator', `127.0.0.1:${p}`, '--run-dir', runDir], log, { ...DELAY, LOOM_LOG: 'info' });
}

function digests(log: string): string[] {
  return readSampleLog(log)
    .filter((l) => l.kind === 'final')
    .map((l) => (l as { digest: string }).digest);
}

test('fault 4: the coordinator killed and restarted with --resume: workers train on, rejoin with backoff, and finish', async () => {
  const dir = tmpDir();
  const log = path.join(dir, 'samples.jsonl');
  const runDir = path.join(dir, 'run');
  const p = port();
  const coordinatorArgs = ['coordinator', CHAOS_JOB, '--port', String(p), '--min-workers', '2', '--run-dir', runDir, '--epochs', String(EPOCHS), '--checkpoint-every', '3'];
  const first = startLoom(coordinatorArgs);
  await first.line(/listening on/);
  const workers = [worker(p, runDir, log), worker(p, runDir, log)];
  await waitForCommit(log, (c) => c.step === 4);
  first.child.kill('SIGKILL');
  await first.exit;
  const killedAt = Date.now();
  // The ring does not need the coordinator: steps keep being committed meanwhile.
  const during = await waitForCommit(log, (c) => c.step >= 6, 20_000);
  const second = startLoom([...coordinatorArgs, '--resume'], undefined, { LOOM_LOG: 'info' });
  const resumed = await second.line(/resuming: latest valid checkpoint \S+step-0000000[36]\.ckpt/);
  const formed = await second.line(/group formed: 2 workers \(membership epoch 2\)/);
  const codes = await Promise.all(workers.map((w) => w.exit));
  // The workers' output says why, should one fail.
  expect({ codes, stderr: codes.some((c) => c !== 0) ? [...workers.map((w) => w.stderr()), second.stderr()] : [] }).toEqual({ codes: [0, 0], stderr: [] });
  expect(await second.exit).toBe(0);
  const stderr = workers.map((w) => w.stderr()).join('\n');
  expect(stderr).toMatch(/lost the coordinator at 127\.0\.0\.1:\d+: .*training goes on/);
  expect(stderr).toMatch(/coordinator 127\.0\.0\.1:\d+ unreachable .*; attempt 2 in 500 ms/);
  expect(stderr).toMatch(/re-joined the coordinator at 127\.0\.0\.1:\d+ \(attempt \d+, after \d+ ms\): rank \d of 2, membership epoch 2/);
  const { memberships, orphaned } = checkExactlyOnce(readSampleLog(log), EPOCHS);
  expect(orphaned).toBe(0);
  expect(memberships[memberships.length - 1]).toBe(2);
  expect(during.membershipEpoch).toBe(1);
  expect(new Set(digests(log)).size).toBe(1);
  expect(digests(log)).toHaveLength(2);
  expect(fs.readdirSync(path.join(runDir, 'checkpoints'))).toContain(`step-000000${EPOCHS * 10}.ckpt`);
  process.stderr.write(`fault 4: coordinator down ${resumed.at - killedAt} ms (step ${during.step} committed meanwhile); group re-formed ${formed.at - resumed.at} ms after the restart\n`);
}, 60_000);

test('fault 4, with a new worker: it forms the restarted group with the re-joining workers and takes their state, not the older checkpoint', async () => {
  const dir = tmpDir();
  const log = path.join(dir, 'samples.jsonl');
  const runDir = path.join(dir, 'run');
  const p = port();
  const coordinatorArgs = ['coordinator', CHAOS_JOB, '--port', String(p), '--run-dir', runDir, '--epochs', String(EPOCHS), '--checkpoint-every', '3'];
  const first = startLoom([...coordinatorArgs, '--min-workers', '2']);
  await first.line(/listening on/);
  const workers = [worker(p, runDir, log), worker(p, runDir, log)];
  await waitForCommit(log, (c) => c.step === 4);
  first.child.kill('SIGKILL');
  await first.exit;
  // Training goes on over the ring, past the last checkpoint the new coordinator offers.
  await waitForCommit(log, (c) => c.step >= 6, 20_000);
  const second = startLoom([...coordinatorArgs, '--min-workers', '3', '--max-workers', '3', '--resume'], undefined, { LOOM_LOG: 'info' });
  await second.line(/resuming: latest valid checkpoint/);
  const fresh = worker(p, runDir, log);
  workers.push(fresh);
  await second.line(/group formed: 3 workers \(membership epoch 2\)/);
  const codes = await Promise.all(workers.map((w) => w.exit));
  expect({ codes, stderr: codes.some((c) => c !== 0) ? [...workers.map((w) => w.stderr()), second.stderr()] : [] }).toEqual({ codes: [0, 0, 0], stderr: [] });
  expect(await second.exit).toBe(0);
  // It did not start from the checkpoint: it received the replicas' newer state.
  expect(fresh.stderr()).not.toMatch(/resuming from the coordinator's checkpoint/);
  const lines = readSampleLog(log);
  const { memberships, orphaned } = checkExactlyOnce(lines, EPOCHS);
  expect(orphaned).toBe(0);
  expect(memberships[memberships.length - 1]).toBe(2);
  const freshCommits = lines.filter((l) => l.kind === 'commit' && l.pid === fresh.child.pid);
  expect(freshCommits.length).toBeGreaterThan(0);
  expect(new Set(digests(log)).size).toBe(1);
  expect(digests(log)).toHaveLength(3);
}, 60_000);

test('fault 3: a worker joining a running job is admitted at a step boundary, gets the state and a share of the batches', async () => {
  const dir = tmpDir();
  const log = path.join(dir, 'samples.jsonl');
  const runDir = path.join(dir, 'run');
  const p = port();
  const coordinator = startLoom(['coordinator', CHAOS_JOB, '--port', String(p), '--min-workers', '2', '--max-workers', '3', '--last-call', '0', '--run-dir', runDir, '--epochs', String(EPOCHS)]);
  await coordinator.line(/listening on/);
  const workers = [worker(p, runDir, log), worker(p, runDir, log)];
  await waitForCommit(log, (c) => c.step === 2);
  const late = worker(p, runDir, log);
  workers.push(late);
  await coordinator.line(/joined the running group as rank 2/);
  const codes = await Promise.all(workers.map((w) => w.exit));
  // The workers' output says why, should one fail.
  expect({ codes, stderr: codes.some((c) => c !== 0) ? workers.map((w) => w.stderr()) : [] }).toEqual({ codes: [0, 0, 0], stderr: [] });
  expect(await coordinator.exit).toBe(0);
  const lines = readSampleLog(log);
  const { memberships } = checkExactlyOnce(lines, EPOCHS);
  expect(memberships[0]).toBe(1);
  expect(memberships[memberships.length - 1]).toBe(2);
  const latePid = late.child.pid;
  const lateCommits = lines.filter((l) => l.kind === 'commit' && l.pid === latePid);
  expect(lateCommits.length).toBeGreaterThan(0);
  expect(lateCommits.every((c) => c.kind === 'commit' && c.worldSize === 3 && c.indices.length > 0)).toBe(true);
  expect(new Set(digests(log)).size).toBe(1);
  expect(digests(log)).toHaveLength(3);
}, 60_000);
