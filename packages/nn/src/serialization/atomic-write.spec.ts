/**
 * Atomic writes: failures injected at every step leave the previous file intact and no
 * temporary file behind.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tensor } from '@loom/tensor';
import { nodeFileSystem, writeFileAtomic, type AtomicFileSystem, type WritableFile } from './atomic-write';
import { load, save } from './checkpoint';
import { CheckpointError } from './errors';
import { saveSafetensors } from './safetensors';
import { tempDir } from './testing/helpers';

let dir: string;
beforeEach(() => (dir = tempDir()));
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

const OLD = 'the previous checkpoint';
/** Captured before any spy replaces it. */
const realFileSystem = { ...nodeFileSystem };
const systemError = (code: string): Error => Object.assign(new Error(`${code}: injected`), { code });

/** Node's file system, with `fail` thrown at the named step (writes: at the given write call). */
function failing(step: 'write' | 'sync' | 'rename', failAtWrite = 2): AtomicFileSystem & { writes: number } {
  const fsys = {
    writes: 0,
    async open(file: string, flags: string, mode?: number): Promise<WritableFile> {
      const handle = await realFileSystem.open(file, flags, mode);
      return {
        write: async (buffer, offset, length) => {
          if (step === 'write' && ++fsys.writes === failAtWrite) throw systemError('ENOSPC');
          return handle.write(buffer, offset, length);
        },
        sync: async () => {
          if (step === 'sync' && flags !== 'r') throw systemError('EIO');
          return handle.sync();
        },
        close: () => handle.close(),
      };
    },
    rename: async (from: string, to: string) => {
      if (step === 'rename') throw systemError('EXDEV');
      return realFileSystem.rename(from, to);
    },
    unlink: (file: string) => realFileSystem.unlink(file),
  };
  return fsys;
}

const pieces = [Buffer.from('new '), Buffer.from('checkpoint '), Buffer.from('bytes')];

test('writes the pieces in order and leaves no temporary file', async () => {
  const target = path.join(dir, 'model.ckpt');
  await writeFileAtomic('save', target, pieces);
  expect(fs.readFileSync(target, 'utf8')).toBe('new checkpoint bytes');
  expect(fs.readdirSync(dir)).toEqual(['model.ckpt']);
});

test.each([
  ['a write fails midway (disk full)', 'write', 'ENOSPC'],
  ['fsync fails', 'sync', 'EIO'],
  ['rename fails', 'rename', 'EXDEV'],
] as const)('%s: the previous file is intact, the temporary file removed', async (_, step, code) => {
  const target = path.join(dir, 'model.ckpt');
  fs.writeFileSync(target, OLD);
  const err = await writeFileAtomic('save', target, pieces, failing(step)).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CheckpointError);
  expect(err).toMatchObject({ code: 'LOOM_CHECKPOINT_IO', file: target, cause: { code } });
  expect((err as Error).message).toContain(`save: cannot write '${target}': ${code}`);
  expect(fs.readFileSync(target, 'utf8')).toBe(OLD);
  expect(fs.readdirSync(dir)).toEqual(['model.ckpt']);
});

test('an error from the pieces themselves is rethrown as is, after cleanup', async () => {
  const target = path.join(dir, 'model.ckpt');
  const boom = new Error('boom');
  function* throwing(): Generator<Uint8Array> {
    yield Buffer.from('half');
    throw boom;
  }
  await expect(writeFileAtomic('save', target, throwing())).rejects.toBe(boom);
  expect(fs.readdirSync(dir)).toEqual([]);
});

test('save: a write failing midway keeps the previous checkpoint loadable', async () => {
  const target = path.join(dir, 'model.ckpt');
  await save({ epoch: 1, w: tensor([1, 2, 3]) }, target);
  const injected = failing('write', 3);
  jest.spyOn(nodeFileSystem, 'open').mockImplementation((file, flags, mode) => injected.open(file, flags, mode));
  // Small chunks: many pieces, so the failure comes in the middle of the tensor bytes.
  await expect(save({ epoch: 2, w: tensor([4, 5, 6]) }, target, { chunkBytes: 4 })).rejects.toMatchObject({ code: 'LOOM_CHECKPOINT_IO' });
  expect(injected.writes).toBe(3);
  jest.restoreAllMocks();
  expect(fs.readdirSync(dir)).toEqual(['model.ckpt']);
  expect(await load(target)).toMatchObject({ epoch: 1 });
});

test.each([
  ['save', (file: string) => save({ epoch: 1 }, file)],
  ['saveSafetensors', (file: string) => saveSafetensors({ w: tensor([1]) }, file)],
])('%s into a folder that does not exist says so and creates nothing', async (op, write) => {
  const target = path.join(dir, 'missing', 'model.ckpt');
  const err = await write(target).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'LOOM_CHECKPOINT_IO', file: target });
  expect((err as Error).message).toMatch(new RegExp(`${op}: cannot write .*the folder '.*missing' does not exist\\nhelp: create it first`));
  expect(fs.readdirSync(dir)).toEqual([]);
});
