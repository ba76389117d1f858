/**
 * What `load` refuses: every truncation and every flipped byte of a checkpoint, empty
 * and foreign files, newer formats, intact files with a bad structure, missing files.
 * Each refusal is a CheckpointError naming the file; none returns a value.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { fromArray, tensor } from '@loom/tensor';
import { decodeCheckpoint, encodeCheckpoint, load } from './checkpoint';
import { CheckpointMessage, HEADER_BYTES, KEY, TRAILER_BYTES, VERSION_AT, encodeHeader, encodeTrailer } from './checkpoint-schema';
import { CheckpointError, type CheckpointErrorCode } from './errors';
import { FIXTURES, tempDir } from './testing/helpers';

let dir: string;
beforeAll(() => (dir = tempDir()));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const small = (): Uint8Array =>
  encodeCheckpoint({ epoch: 2, loss: 0.5, w: fromArray(Float32Array.from([1, -2, 3.5, 0]), [2, 2]), n: tensor([7, 8], { dtype: 'int32' }), names: ['a', 'b'] }, { chunkBytes: 5 });

function refusal(bytes: Uint8Array, name = 'bytes under test'): CheckpointError {
  let value: unknown;
  try {
    value = decodeCheckpoint(bytes, name);
  } catch (err) {
    if (!(err instanceof CheckpointError)) throw err;
    expect(err.file).toBe(name);
    expect(err.message).toContain(`'${name}'`);
    return err;
  }
  throw new Error(`accepted: ${JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
}

async function fileRefusal(bytes: Uint8Array, name: string): Promise<CheckpointError> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  const err = await load(file).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CheckpointError);
  expect((err as CheckpointError).message).toContain(file);
  return err as CheckpointError;
}

test('an empty file', async () => {
  const err = await fileRefusal(new Uint8Array(0), 'empty.ckpt');
  expect(err.code).toBe('LOOM_CHECKPOINT_EMPTY');
  expect(err.message).toMatch(/is empty \(0 bytes\)/);
});

test('every truncation is refused as truncated', async () => {
  const bytes = small();
  for (let length = 1; length < bytes.length; length++) {
    const err = refusal(bytes.subarray(0, length));
    expect([length, err.code]).toEqual([length, 'LOOM_CHECKPOINT_TRUNCATED']);
  }
  expect((await fileRefusal(bytes.subarray(0, bytes.length - 1), 'cut.ckpt')).message).toMatch(/is truncated: it has \d+ bytes, but its header says \d+/);
});

test('every flipped byte is refused, past the header as corrupted', () => {
  const bytes = small();
  const codes = new Set<CheckpointErrorCode>();
  for (let i = 0; i < bytes.length; i++) {
    for (const mask of [0x01, 0x80, 0xff]) {
      const damaged = bytes.slice();
      damaged[i] = (damaged[i] as number) ^ mask;
      const err = refusal(damaged);
      codes.add(err.code);
      if (i >= HEADER_BYTES) expect([i, mask, err.code]).toEqual([i, mask, 'LOOM_CHECKPOINT_CORRUPTED']);
    }
  }
  // Damage in the header reads as a foreign file (the magic), a newer version or a wrong length.
  expect([...codes].sort()).toEqual(['LOOM_CHECKPOINT_CORRUPTED', 'LOOM_CHECKPOINT_FOREIGN', 'LOOM_CHECKPOINT_TRUNCATED', 'LOOM_CHECKPOINT_VERSION']);
});

test('a changed tensor value is refused with a SHA-256 mismatch', async () => {
  const bytes = small();
  bytes[bytes.length - TRAILER_BYTES - 1] ^= 0x01;
  const err = await fileRefusal(bytes, 'flipped.ckpt');
  expect(err.code).toBe('LOOM_CHECKPOINT_CORRUPTED');
  expect(err.message).toMatch(/SHA-256 does not match/);
});

test('extra bytes after the end', () => {
  const bytes = small();
  const longer = new Uint8Array(bytes.length + 3);
  longer.set(bytes);
  expect(refusal(longer).message).toMatch(/3 unexpected bytes after its end/);
});

describe('foreign files say "not a Loom checkpoint" and what they look like', () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  test.each([
    ['a PNG image', png, /a PNG image/],
    ["PyTorch's torch.save zip", new Uint8Array(fs.readFileSync(path.join(FIXTURES, 'foreign_torch_save.pt'))), /zip archive, as PyTorch's torch\.save writes[\s\S]*help: .*safetensors/],
    ['a legacy pickle', Uint8Array.from([0x80, 0x02, 0x63, 0x74, 0x6f, 0x72, 0x63, 0x68]), /Python pickle/],
    ['a safetensors file', new Uint8Array(fs.readFileSync(path.join(FIXTURES, 'safetensors_mlp.safetensors'))), /a safetensors file[\s\S]*loadSafetensors/],
    ['JSON', new TextEncoder().encode('{"epoch": 1}'), /JSON text/],
    ['one byte', Uint8Array.from([0x42]), /unknown format \(first bytes 42\)/],
  ])('%s', async (_, bytes, looksLike) => {
    const err = await fileRefusal(bytes, 'foreign.bin');
    expect(err.code).toBe('LOOM_CHECKPOINT_FOREIGN');
    expect(err.message).toMatch(/is not a Loom checkpoint: it looks like/);
    expect(err.message).toMatch(looksLike);
  });
});

test('a newer format version is refused before anything else is read', () => {
  const bytes = small();
  new DataView(bytes.buffer).setUint32(VERSION_AT + 1, 2, true);
  const err = refusal(bytes);
  expect(err.code).toBe('LOOM_CHECKPOINT_VERSION');
  expect(err.message).toMatch(/format version 2, but this Loom reads version 1[\s\S]*upgrade/);
});

describe('intact files (valid SHA-256) with a bad structure are malformed', () => {
  /** A checkpoint from raw content after the header, with a correct length and hash. */
  const forge = (...fields: Uint8Array[]): Uint8Array => {
    const body = Buffer.concat(fields);
    const content = Buffer.concat([encodeHeader(HEADER_BYTES + body.length), body]);
    return Buffer.concat([content, encodeTrailer(createHash('sha256').update(content).digest())]);
  };
  const root = (value: Record<string, unknown>): Uint8Array => CheckpointMessage.encode({ root: value }).finish();
  const chunk = (tensorId: number, offset: number, data: number[]): Uint8Array => CheckpointMessage.encode({ chunks: [{ tensorId, offset, data: Uint8Array.from(data) }] }).finish();
  const tensorValue = { tensor: { dtype: 1, shape: [2], id: 0 } };

  test.each([
    ['no value tree', [chunk(0, 0, [1, 2, 3, 4])], /expected the value tree/],
    ['an empty Value', [root({})], /value has no kind/],
    ['an unknown dtype', [root({ tensor: { dtype: 9, shape: [1] } })], /dtype 9 is not one of/],
    ['missing tensor bytes', [root(tensorValue), chunk(0, 0, [0, 0, 0, 0])], /tensor 0 has 4 of its 8 bytes/],
    ['a chunk out of place', [root(tensorValue), chunk(0, 4, [0, 0, 0, 0]), chunk(0, 0, [0, 0, 0, 0])], /chunk of tensor 0 at offset 4 is out of place/],
    ['too many bytes', [root(tensorValue), chunk(0, 0, [0, 0, 0, 0, 0, 0, 0, 0, 0])], /out of place/],
    ['a map key that is a tensor', [root({ mapValue: { entries: [{ key: tensorValue, value: { intValue: 1 } }] } })], /map key is a tensor, not a primitive/],
    ['tensors larger than the file', [root({ tensor: { dtype: 1, shape: [1e9], id: 0 } })], /need 4000000000 bytes, more than the file holds/],
    ['garbage in the tree', [protobuf.Writer.create().uint32(KEY.root).bytes(Uint8Array.from([0xff, 0xff, 0xff])).finish()], /value tree cannot be decoded/],
  ])('%s', (_, fields, message) => {
    const err = refusal(forge(...fields));
    expect(err.code).toBe('LOOM_CHECKPOINT_MALFORMED');
    expect(err.message).toMatch(message);
  });
});

test('a missing file or a folder is an IO error naming it', async () => {
  const missing = path.join(dir, 'nope.ckpt');
  await expect(load(missing)).rejects.toMatchObject({ code: 'LOOM_CHECKPOINT_IO', file: missing, message: expect.stringMatching(/cannot read .*nope\.ckpt.*ENOENT/) });
  await expect(load(dir)).rejects.toMatchObject({ code: 'LOOM_CHECKPOINT_IO' });
});
