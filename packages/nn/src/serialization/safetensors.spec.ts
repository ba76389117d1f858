/**
 * safetensors: files written on PyTorch's side (tools/goldens/make_safetensors_fixture.py)
 * load with exact values and give PyTorch's logits in the ported seed model; Loom's
 * files keep float32, int32 and bool bit for bit in the reference layout; bad files are
 * refused with a CheckpointError naming them.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fromArray, ready, tensor, zeros, type Tensor } from '@loom/tensor';
import { Flatten, Linear, Module, ReLU, Sequential } from '../index';
import { encodeCheckpoint } from './checkpoint';
import { CheckpointError } from './errors';
import { loadSafetensors, readSafetensorsHeader, saveSafetensors } from './safetensors';
import { FIXTURES, INT32_EXTREMES, SPECIAL_FLOAT32_BITS, bitsOf, float32FromBits, tempDir } from './testing/helpers';

interface FixtureTensor {
  dtype: string;
  shape: number[];
  sha256: string;
  float32_bits?: number[];
  int32?: number[];
  bool?: number[];
}
interface Fixture {
  mlp: { layers: number[]; batch: number; tensors: Record<string, FixtureTensor>; logits: number[] };
  dtypes: Record<string, FixtureTensor>;
}
const FIXTURE = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'safetensors_fixture.json'), 'utf8')) as Fixture;

/** The seed's NeuralNetwork with the fixture's narrower layers: same state-dict keys. */
class SeedModel extends Module {
  flatten = new Flatten();
  linear_relu_stack: Sequential;
  constructor([i, h1, h2, o]: number[]) {
    super();
    this.linear_relu_stack = new Sequential(new Linear(i as number, h1 as number), new ReLU(), new Linear(h1 as number, h2 as number), new ReLU(), new Linear(h2 as number, o as number));
  }
  override forward(x: Tensor): Tensor {
    return this.linear_relu_stack(this.flatten(x));
  }
}

const sha256 = (t: Tensor): string => {
  const v = t.data();
  return createHash('sha256').update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).digest('hex');
};

let dir: string;
beforeAll(async () => {
  await ready();
  dir = tempDir();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("PyTorch's files", () => {
  test('the seed model loads with exact weights and gives PyTorch\'s logits', async () => {
    const sd = await loadSafetensors(path.join(FIXTURES, 'safetensors_mlp.safetensors'));
    expect(Object.keys(sd).sort()).toEqual(Object.keys(FIXTURE.mlp.tensors).sort());
    for (const [name, golden] of Object.entries(FIXTURE.mlp.tensors)) {
      const t = sd[name] as Tensor;
      expect([name, t.dtype, t.shape]).toEqual([name, 'float32', golden.shape]);
      expect([name, sha256(t)]).toEqual([name, golden.sha256]);
    }
    const { layers, batch, logits } = FIXTURE.mlp;
    const model = new SeedModel(layers);
    model.loadStateDict(sd);
    const x = Float32Array.from({ length: batch * (layers[0] as number) }, (_, k) => ((k * 7919 + 13) % 1009) / 1009 - 0.5);
    const out = model.forward(fromArray(x, [batch, 1, 28, 28])).data() as Float32Array;
    logits.forEach((v, i) => expect(Math.abs((out[i] as number) - v)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v))));
  });

  test('every dtype loads with the values PyTorch/numpy give, bit for bit', async () => {
    const sd = await loadSafetensors(path.join(FIXTURES, 'safetensors_dtypes.safetensors'));
    for (const [name, golden] of Object.entries(FIXTURE.dtypes)) {
      const t = sd[name] as Tensor;
      expect([name, t.shape]).toEqual([name, golden.shape]);
      if (golden.float32_bits) expect([name, t.dtype, bitsOf(t)]).toEqual([name, 'float32', golden.float32_bits]);
      if (golden.int32) expect([name, t.dtype, [...t.data()]]).toEqual([name, 'int32', golden.int32]);
      if (golden.bool) expect([name, t.dtype, [...t.data()]]).toEqual([name, 'bool', golden.bool]);
    }
  });

  test('the header: metadata and tensors in data order', async () => {
    const header = await readSafetensorsHeader(path.join(FIXTURES, 'safetensors_dtypes.safetensors'));
    expect(header.metadata).toEqual({ source: 'make_safetensors_fixture.py', note: 'edge cases' });
    expect(header.tensors[0]).toEqual({ name: 'i64_in_range', dtype: 'I64', shape: [5], dataOffsets: [0, 40] });
    expect(header.tensors.map((t) => t.dtype)).toContain('BF16');
  });
});

describe("Loom's files", () => {
  const stateDict = (): Record<string, Tensor> => ({
    'layer.weight': float32FromBits(SPECIAL_FLOAT32_BITS, [2, 7]),
    'layer.bias': tensor(0.25),
    counts: fromArray(Int32Array.from(INT32_EXTREMES), [5]),
    mask: tensor([[true, false, true]]),
    empty: zeros([3, 0]),
  });

  test('round trip: float32 (NaN payloads, -0, subnormals), int32, bool bit for bit, in order', async () => {
    const file = path.join(dir, 'round.safetensors');
    const original = stateDict();
    await saveSafetensors(original, file, { format: 'pt' });
    const loaded = await loadSafetensors(file);
    expect(Object.keys(loaded)).toEqual(Object.keys(original));
    for (const [name, t] of Object.entries(original)) {
      const back = loaded[name] as Tensor;
      expect([name, back.dtype, back.shape, bitsOf(back)]).toEqual([name, t.dtype, t.shape, bitsOf(t)]);
    }
    expect((await readSafetensorsHeader(file)).metadata).toEqual({ format: 'pt' });
  });

  test("the reference layout: u64 length, JSON padded with spaces to 8 bytes, contiguous data", async () => {
    const file = path.join(dir, 'layout.safetensors');
    await saveSafetensors(new Map([['w', tensor([1, 2])], ['b', tensor([true])]]), file);
    const bytes = fs.readFileSync(file);
    const n = Number(bytes.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const text = bytes.subarray(8, 8 + n).toString('utf8');
    expect(text.trimEnd()).toBe('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"BOOL","shape":[1],"data_offsets":[8,9]}}');
    expect(text.slice(text.trimEnd().length)).toMatch(/^ *$/);
    expect(bytes.length).toBe(8 + n + 9);
    expect([...bytes.subarray(8 + n)]).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 1]);
  });

  test.each([
    ['a value that is not a tensor', { w: 3 as unknown as Tensor }, undefined, /stateDict\.w is not a tensor/],
    ['the reserved name', { __metadata__: tensor([1]) }, undefined, /"__metadata__" is not a valid tensor name/],
    ['metadata that is not a string', { w: tensor([1]) }, { epoch: 3 as unknown as string }, /metadata\.epoch is a number, not a string/],
  ])('refuses to save %s', async (_, sd, metadata, message) => {
    const err = await saveSafetensors(sd, path.join(dir, 'bad.safetensors'), metadata).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'LOOM_CHECKPOINT_UNSUPPORTED', message: expect.stringMatching(message) });
  });
});

describe('bad files', () => {
  /** A safetensors file from a header object and data bytes. */
  const build = (header: unknown, data: number[] = [], pad = true): Uint8Array => {
    let json = Buffer.from(JSON.stringify(header));
    if (pad) json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(json.length));
    return Buffer.concat([prefix, json, Buffer.from(data)]);
  };
  const i64 = (values: bigint[]): number[] => [...Buffer.from(BigInt64Array.from(values).buffer)];
  const good = build({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]);

  async function refusal(bytes: Uint8Array): Promise<CheckpointError> {
    const file = path.join(dir, 'bad.safetensors');
    fs.writeFileSync(file, bytes);
    const err = await loadSafetensors(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as CheckpointError).message).toContain(`loadSafetensors: '${file}'`);
    return err as CheckpointError;
  }

  test('every truncation is refused', async () => {
    for (let length = 1; length < good.length; length++) {
      const err = await refusal(good.subarray(0, length));
      expect([length, err.code]).toEqual([length, length < 9 ? 'LOOM_CHECKPOINT_TRUNCATED' : expect.stringMatching(/TRUNCATED|MALFORMED/)]);
    }
  });

  test.each([
    ['empty', new Uint8Array(0), 'LOOM_CHECKPOINT_EMPTY', /is empty/],
    ['a PNG', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), 'LOOM_CHECKPOINT_FOREIGN', /is not a safetensors file: it looks like a PNG image/],
    ['a Loom checkpoint', encodeCheckpoint({ w: tensor([1]) }), 'LOOM_CHECKPOINT_FOREIGN', /it looks like a Loom checkpoint[\s\S]*help: read it with load\(\)/],
    ['cut data', good.subarray(0, good.length - 1), 'LOOM_CHECKPOINT_TRUNCATED', /need 8 bytes of data, the file has 7/],
    ['trailing bytes', Buffer.concat([good, Buffer.from([0])]), 'LOOM_CHECKPOINT_MALFORMED', /1 bytes follow the last tensor/],
    ['bad JSON', build('x'.repeat(3)).map((b, i) => (i === 8 ? 0x7b : b)), 'LOOM_CHECKPOINT_MALFORMED', /header is not UTF-8 JSON/],
    ['an F8 dtype', build({ w: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, [0]), 'LOOM_CHECKPOINT_UNSUPPORTED', /tensor 'w' of dtype "F8_E4M3", which Loom does not read/],
    ['a size mismatch', build({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, [0, 0, 0, 0, 0, 0, 0, 0]), 'LOOM_CHECKPOINT_MALFORMED', /needs 12 bytes, its data_offsets span 8/],
    [
      'a gap between tensors',
      build({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] }, b: { dtype: 'U8', shape: [1], data_offsets: [2, 3] } }, [1, 2, 3]),
      'LOOM_CHECKPOINT_MALFORMED',
      /tensor 'b' starts at byte 2 of the data, expected 1/,
    ],
    ['a bad shape', build({ w: { dtype: 'U8', shape: [-1], data_offsets: [0, 1] } }, [1]), 'LOOM_CHECKPOINT_MALFORMED', /shape \[-1\], not a list of sizes/],
    ['I64 beyond int32', build({ ids: { dtype: 'I64', shape: [3], data_offsets: [0, 24] } }, i64([1n, 2n ** 40n, 3n])), 'LOOM_CHECKPOINT_UNSUPPORTED', /tensor 'ids' \(I64\) with value 1099511627776 at index 1, outside int32's range/],
    ['I64 below int32', build({ ids: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, i64([-(2n ** 31n) - 1n])), 'LOOM_CHECKPOINT_UNSUPPORTED', /value -2147483649 at index 0/],
  ])('%s', async (_, bytes, code, message) => {
    const err = await refusal(bytes);
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });

  test('a header without padding (allowed by the reference) still loads', async () => {
    const file = path.join(dir, 'unpadded.safetensors');
    fs.writeFileSync(file, build({ w: { dtype: 'I16', shape: [2], data_offsets: [0, 4] } }, [0xff, 0xff, 2, 0], false));
    expect([...((await loadSafetensors(file)).w as Tensor).data()]).toEqual([-1, 2]);
  });
});
