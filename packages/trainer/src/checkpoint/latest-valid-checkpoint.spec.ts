/** Fault 5a: damaged checkpoints are reported and skipped; the newest one that verifies wins. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ready, tensor } from '@loom/tensor';
import { save } from '@loom/nn';
import { NoValidCheckpointError, latestValidCheckpoint, listCheckpoints } from './latest-valid-checkpoint';
import { TRAINING_CHECKPOINT_FORMAT } from './training-state';

let dir: string;
beforeAll(() => ready());
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-latest-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const name = (step: number): string => path.join(dir, `step-${String(step).padStart(8, '0')}.ckpt`);

async function writeSteps(...steps: number[]): Promise<void> {
  for (const step of steps) await save({ format: TRAINING_CHECKPOINT_FORMAT, job: 'tiny', step, w: tensor([step, 1, 2, 3]) }, name(step));
}

/** The ways a file goes bad on disk. */
const DAMAGE: [string, (bytes: Buffer) => Buffer, string][] = [
  ['a flipped byte', (b) => (b[Math.floor(b.length / 2)]! ^= 0x01, b), 'LOOM_CHECKPOINT_CORRUPTED'],
  ['cut short', (b) => b.subarray(0, Math.floor(b.length * 0.6)), 'LOOM_CHECKPOINT_TRUNCATED'],
  ['zero length', () => Buffer.alloc(0), 'LOOM_CHECKPOINT_EMPTY'],
  ['wrong magic', (b) => (b.write('PK\u0003\u0004', 0, 'latin1'), b), 'LOOM_CHECKPOINT_FOREIGN'],
];

test.each(DAMAGE)('the newest file %s: falls back to the previous one and says why', async (_, damage, code) => {
  await writeSteps(10, 20, 30);
  fs.writeFileSync(name(30), damage(fs.readFileSync(name(30))));
  const found = await latestValidCheckpoint(dir, { jobName: 'tiny' });
  expect(found?.file).toBe(name(20));
  expect(found?.value).toMatchObject({ step: 20 });
  expect(found?.rejected).toEqual([{ file: name(30), code, reason: expect.stringContaining(name(30)) }]);
});

test('several damaged files are all skipped, newest first', async () => {
  await writeSteps(1, 2, 3);
  fs.truncateSync(name(3), 50);
  fs.writeFileSync(name(2), '');
  const found = await latestValidCheckpoint(dir);
  expect(found?.file).toBe(name(1));
  expect(found?.rejected.map((r) => [path.basename(r.file), r.code])).toEqual([
    ['step-00000003.ckpt', 'LOOM_CHECKPOINT_TRUNCATED'],
    ['step-00000002.ckpt', 'LOOM_CHECKPOINT_EMPTY'],
  ]);
});

test('no file verifies: an error listing every file tried and why', async () => {
  await writeSteps(1, 2);
  fs.writeFileSync(name(1), '');
  fs.truncateSync(name(2), 100);
  const err = await latestValidCheckpoint(dir).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NoValidCheckpointError);
  expect(err).toMatchObject({ code: 'LOOM_NO_VALID_CHECKPOINT', dir });
  expect((err as Error).message).toMatch(new RegExp(`^no valid checkpoint in ${dir}: all 2 failed to verify:\n  step-00000002.ckpt: load: .* is truncated.*\n  step-00000001.ckpt: load: .* is empty`));
});

test('a checkpoint of another job is refused when jobName is given', async () => {
  await writeSteps(1);
  await save({ format: TRAINING_CHECKPOINT_FORMAT, job: 'other', step: 2 }, name(2));
  const found = await latestValidCheckpoint(dir, { jobName: 'tiny' });
  expect(found?.file).toBe(name(1));
  expect(found?.rejected[0]?.reason).toContain("belongs to job 'other', not 'tiny'");
});

test('no checkpoints (or no folder) is null, not an error', async () => {
  expect(await latestValidCheckpoint(dir)).toBeNull();
  expect(await latestValidCheckpoint(path.join(dir, 'missing'))).toBeNull();
});

test('order: by step number (past the zero padding), temporary files ignored', async () => {
  for (const f of ['step-00000009.ckpt', 'step-100000000.ckpt', 'step-00000010.ckpt', '.step-00000011.ckpt.123.abcd.tmp']) fs.writeFileSync(path.join(dir, f), 'x');
  expect(listCheckpoints(dir).map((f) => path.basename(f))).toEqual(['step-100000000.ckpt', 'step-00000010.ckpt', 'step-00000009.ckpt']);
});
