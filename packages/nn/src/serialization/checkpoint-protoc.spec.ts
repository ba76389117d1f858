/**
 * Checkpoint files are plain `loom.v1.Checkpoint` messages: protoc decodes them with
 * the repository's .proto (the README's command), and the generated descriptor that
 * Loom compiles in is the one the .proto gives.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fromArray, tensor } from '@loom/tensor';
import { encodeCheckpoint, save } from './checkpoint';
import { CONTENT_LENGTH_AT, HEADER_BYTES, MAGIC_PREFIX, TRAILER_BYTES, VERSION_AT } from './checkpoint-schema';
import { REPO_ROOT, available, tempDir } from './testing/helpers';

const PROTO = 'proto/loom/v1/checkpoint.proto';
const hasProtoc = available('protoc', ['--version'], 'protoc decoding tests need protoc on PATH (Debian: apt-get install protobuf-compiler)');
const withProtoc = hasProtoc ? test : test.skip;

/** Runs the README's command on `file`: protoc --decode=loom.v1.Checkpoint -I proto proto/loom/v1/checkpoint.proto < file. */
function protocDecode(file: string): string {
  const run = spawnSync('protoc', ['--decode=loom.v1.Checkpoint', '-I', 'proto', PROTO], { cwd: REPO_ROOT, input: fs.readFileSync(file), maxBuffer: 1 << 26 });
  if (run.status !== 0) throw new Error(`protoc failed: ${run.stderr.toString()}`);
  return run.stdout.toString();
}

let dir: string;
beforeAll(() => (dir = tempDir()));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

withProtoc('protoc prints the checkpoint tree readably', async () => {
  const file = path.join(dir, 'model.ckpt');
  const w = fromArray(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
  await save({ epoch: 5, loss: 0.123456789012345, modelStateDict: { 'fc.weight': w, 'fc.bias': tensor([0.5, 1]), tied: w }, done: true, note: null }, file, { chunkBytes: 16 });
  const text = protocDecode(file);
  expect(text).toMatch(/^magic: "loom.checkpoint"\nformat_version: 1\ncontent_length: \d+\nroot \{/);
  expect(text).toMatch(/key: "epoch"\n\s+value \{\n\s+int_value: 5\n/);
  expect(text).toContain('double_value: 0.123456789012345');
  expect(text).toContain('bool_value: true');
  expect(text).toContain('null_value: NULL_VALUE');
  expect(text).toMatch(/key: "fc.weight"\n\s+value \{\n\s+tensor \{\n\s+dtype: DTYPE_FLOAT32\n\s+shape: 2\n\s+shape: 3\n\s+\}/);
  expect(text).toMatch(/key: "tied"\n\s+value \{\n\s+tensor \{\n\s+dtype: DTYPE_FLOAT32\n\s+shape: 2\n\s+shape: 3\n\s+\}/);
  // 24 bytes of weight in chunks of 16, then the bias (tensor 1).
  expect(text.match(/chunks \{/g)).toHaveLength(3);
  expect(text).toContain('chunks {\n  offset: 16\n');
  expect(text).toContain('chunks {\n  tensor_id: 1\n');
  expect(text).toMatch(/sha256: ".+"\n$/);
});

withProtoc('the deepest nesting save accepts still decodes with protoc', () => {
  let deepest: Uint8Array | null = null;
  for (let levels = 1; ; levels++) {
    let v: unknown = tensor([1]);
    for (let i = 0; i < levels; i++) v = [{ a: new Map([[1, v]]) }];
    try {
      deepest = encodeCheckpoint(v);
    } catch {
      break;
    }
  }
  const file = path.join(dir, 'deep.ckpt');
  fs.writeFileSync(file, deepest as Uint8Array);
  expect(protocDecode(file)).toContain('tensor {');
});

test('the fixed layout of NOTE [Checkpoint layout]', () => {
  expect([MAGIC_PREFIX.length, VERSION_AT, CONTENT_LENGTH_AT, HEADER_BYTES, TRAILER_BYTES]).toEqual([17, 17, 22, 31, 34]);
});

test('the generated descriptor is up to date with the .proto', () => {
  const script = path.resolve(__dirname, '../../../../tools/proto/generate-descriptors.js');
  const run = spawnSync(process.execPath, [script, '--check', 'checkpoint.proto'], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
});
