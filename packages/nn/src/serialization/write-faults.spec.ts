/** The full-disk test seam: fails after the given bytes, only for matching files, and restores. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tensor } from '@loom/tensor';
import { load, save } from './checkpoint';
import { tempDir } from './testing/helpers';
import { injectWriteFault } from './write-faults';

let dir: string;
beforeEach(() => (dir = tempDir()));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('save fails with ENOSPC after the given bytes; the previous file stays and no temporary file is left', async () => {
  const target = path.join(dir, 'model.ckpt');
  await save({ step: 1, w: tensor([1, 2, 3]) }, target);
  const fault = injectWriteFault({ afterBytes: 40 });
  try {
    const err = await save({ step: 2, w: tensor([4, 5, 6]) }, target).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'LOOM_CHECKPOINT_IO', file: target, cause: { code: 'ENOSPC' } });
    expect((err as Error).message).toContain('ENOSPC: no space left on device');
    expect(fault.failures).toBe(1);
  } finally {
    fault.restore();
  }
  expect(fs.readdirSync(dir)).toEqual(['model.ckpt']);
  expect(await load(target)).toMatchObject({ step: 1 });
  await save({ step: 3 }, target); // restored: writes work again
  expect(await load(target)).toMatchObject({ step: 3 });
});

test('match limits the fault to the named files', async () => {
  const fault = injectWriteFault({ match: /b\.ckpt$/, code: 'EIO' });
  try {
    await save({ a: 1 }, path.join(dir, 'a.ckpt'));
    await expect(save({ b: 1 }, path.join(dir, 'b.ckpt'))).rejects.toMatchObject({ cause: { code: 'EIO' } });
  } finally {
    fault.restore();
  }
  expect(fs.readdirSync(dir)).toEqual(['a.ckpt']);
});
