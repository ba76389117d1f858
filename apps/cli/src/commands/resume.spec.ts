import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tensor } from '@loom/tensor';
import { save } from '@loom/nn';
import { NoValidCheckpointError } from '@loom/trainer';
import { UsageError } from '../args/flags';
import { ResumeError, resolveResume } from './resume';

let runDir: string;
const ckpt = (step: number): string => path.join(runDir, 'checkpoints', `step-${String(step).padStart(8, '0')}.ckpt`);

beforeEach(async () => {
  runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-resume-'));
  fs.mkdirSync(path.join(runDir, 'checkpoints'));
  for (const step of [1, 2]) await save({ step, w: tensor([step]) }, ckpt(step));
});
afterEach(() => fs.rmSync(runDir, { recursive: true, force: true }));

test('without FILE: the newest checkpoint, silently when it verifies', async () => {
  const warnings: string[] = [];
  expect(await resolveResume('', runDir, (l) => warnings.push(l))).toBe(ckpt(2));
  expect(warnings).toEqual([]);
});

test('without FILE: a damaged newest checkpoint is reported and skipped', async () => {
  fs.truncateSync(ckpt(2), 20);
  const warnings: string[] = [];
  expect(await resolveResume('', runDir, (l) => warnings.push(l))).toBe(ckpt(1));
  expect(warnings).toEqual([
    expect.stringMatching(new RegExp(`^\\[loom\\] --resume: skipping ${ckpt(2)}: it is truncated: it has 20 bytes`)),
    `[loom] --resume: resuming from ${ckpt(1)}, the newest checkpoint that verifies`,
  ]);
});

test('without FILE: none verifies is an error listing them; none at all is bad usage', async () => {
  fs.writeFileSync(ckpt(1), '');
  fs.writeFileSync(ckpt(2), '');
  await expect(resolveResume('', runDir, () => undefined)).rejects.toBeInstanceOf(NoValidCheckpointError);
  fs.rmSync(path.join(runDir, 'checkpoints'), { recursive: true });
  await expect(resolveResume('', runDir, () => undefined)).rejects.toThrow(new UsageError(`--resume: no checkpoint found in ${path.join(runDir, 'checkpoints')}: name a FILE or a --run-dir with checkpoints`));
});

test('a named FILE is used as is, or refused when damaged (no fallback)', async () => {
  expect(await resolveResume(ckpt(1), runDir, () => undefined)).toBe(ckpt(1));
  fs.writeFileSync(ckpt(2), 'not a checkpoint');
  const err = await resolveResume(ckpt(2), runDir, () => undefined).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ResumeError);
  expect(err).toMatchObject({ code: 'LOOM_RESUME' });
  expect((err as Error).message).toMatch(new RegExp(`^--resume: cannot resume from ${ckpt(2)}: it is not a Loom checkpoint: it looks like .*\\nhelp: name an intact checkpoint, or pass --resume without a FILE`));
});
