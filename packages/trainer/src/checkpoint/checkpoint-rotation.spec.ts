/**
 * Fault 5b: a full disk while saving leaves the previous checkpoint intact and no
 * temporary file, stops training with an error naming the file and ENOSPC, and pruning
 * never removes a checkpoint before its successor is complete. Tested with the
 * injected write fault of @loom/nn and, where this process may mount one, a real tmpfs.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fromArray, ready, zeros } from '@loom/tensor';
import { injectWriteFault, load, optim } from '@loom/nn';
import { TensorDataset } from '@loom/data';
import { defineJob } from '../job/define-job';
import { Trainer } from '../trainer';
import { CheckpointRotation, CheckpointWriteError } from './checkpoint-rotation';

let dir: string;
beforeAll(() => ready());
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-rotation-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A state of about `kib` KiB (float32 zeros). */
const stateOf = (step: number, kib = 1): object => ({ step, w: zeros([kib * 256]) });
const names = (d: string): string[] => fs.readdirSync(d).sort();

test('keeps the newest K', async () => {
  const rotation = new CheckpointRotation(dir, 2);
  for (const step of [1, 2, 3]) await rotation.write(stateOf(step), step);
  expect(names(dir)).toEqual(['step-00000002.ckpt', 'step-00000003.ckpt']);
});

test('writing a step twice does not make pruning delete the newest file', async () => {
  const rotation = new CheckpointRotation(dir, 2);
  for (const step of [1, 2, 2, 3]) await rotation.write(stateOf(step), step);
  expect(names(dir)).toEqual(['step-00000002.ckpt', 'step-00000003.ckpt']);
});

// With K = 2 checkpoints on disk, pruning before saving would already have removed step 1.
test('ENOSPC midway: previous checkpoints intact, no temporary file, nothing pruned, a clear error', async () => {
  const rotation = new CheckpointRotation(dir, 2);
  await rotation.write(stateOf(1), 1);
  await rotation.write(stateOf(2), 2);
  const fault = injectWriteFault({ afterBytes: 500 });
  const err = await rotation.write(stateOf(3), 3).catch((e: unknown) => e).finally(() => fault.restore());
  expect(fault.failures).toBe(1);
  expect(err).toBeInstanceOf(CheckpointWriteError);
  expect(err).toMatchObject({ code: 'LOOM_CHECKPOINT_WRITE', file: rotation.fileOf(3), systemCode: 'ENOSPC', previous: rotation.fileOf(2) });
  expect((err as Error).message).toContain(`could not write checkpoint ${rotation.fileOf(3)} (ENOSPC): save: cannot write`);
  expect((err as Error).message).toContain(`help: free disk space (or use another --run-dir), then resume with --resume: the previous checkpoint ${rotation.fileOf(2)} was left as it was`);
  expect(names(dir)).toEqual(['step-00000001.ckpt', 'step-00000002.ckpt']);
  expect(await load(rotation.fileOf(2))).toMatchObject({ step: 2 });
});

test('the Trainer stops at the failed checkpoint with that error, keeping the earlier ones', async () => {
  const job = defineJob({
    name: 'linear',
    batchSize: 4,
    epochs: 1,
    model: () => new (require('@loom/nn').Linear)(3, 1),
    data: () => ({ train: new TensorDataset(fromArray(new Float32Array(48).fill(0.5), [16, 3]), fromArray(new Float32Array(16).fill(1), [16, 1])) }),
    loss: () => (p, t) => p.sub(t).square().mean(),
    optimizer: (params) => new optim.SGD(params, { lr: 0.1 }),
  });
  const fault = injectWriteFault({ match: /step-00000003\.ckpt$/ });
  const trainer = new Trainer(job, { print: () => undefined, checkpointDir: dir, checkpointEvery: 1 });
  const err = await trainer.fit().catch((e: unknown) => e).finally(() => fault.restore());
  expect(err).toBeInstanceOf(CheckpointWriteError);
  expect((err as Error).message).toContain('step-00000003.ckpt (ENOSPC)');
  expect(names(dir)).toEqual(['step-00000001.ckpt', 'step-00000002.ckpt']);
  expect(await load(path.join(dir, 'step-00000002.ckpt'))).toMatchObject({ step: 2, batch: 2 });
});

/** A tmpfs of `kib` KiB, or why there is none (mounting needs root, or CAP_SYS_ADMIN). */
function mountTmpfs(kib: number): { mount: string | null; reason: string } {
  const mount = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', mount], { stdio: 'pipe' });
    return { mount, reason: '' };
  } catch (err) {
    fs.rmSync(mount, { recursive: true, force: true });
    return { mount: null, reason: String((err as { stderr?: Buffer }).stderr ?? err).trim() || String(err) };
  }
}

describe('a real full disk (tmpfs)', () => {
  // 200 KiB hold two checkpoints of ~80 KiB but not a third.
  const { mount, reason } = mountTmpfs(200);
  if (!mount) console.warn(`skipping the tmpfs test: cannot mount a tmpfs here (${reason}); the injected-fault tests above cover the same paths`);
  afterAll(() => {
    if (!mount) return;
    execFileSync('umount', [mount]);
    fs.rmSync(mount, { recursive: true, force: true });
  });

  (mount ? test : test.skip)('ENOSPC from the kernel: the previous checkpoints load, no temporary file is left', async () => {
    const rotation = new CheckpointRotation(mount as string, 3);
    await rotation.write(stateOf(1, 80), 1);
    await rotation.write(stateOf(2, 80), 2);
    const err = await rotation.write(stateOf(3, 80), 3).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'LOOM_CHECKPOINT_WRITE', systemCode: 'ENOSPC' });
    expect((err as Error).message).toMatch(/step-00000003\.ckpt \(ENOSPC\): save: cannot write .*ENOSPC: no space left on device/);
    expect(names(mount as string)).toEqual(['step-00000001.ckpt', 'step-00000002.ckpt']);
    expect(await load(rotation.fileOf(1))).toMatchObject({ step: 1 });
    expect(await load(rotation.fileOf(2))).toMatchObject({ step: 2 });
  });
});
