/**
 * save/load and encodeCheckpoint/decodeCheckpoint: every value kind round-trips,
 * tensors bit for bit, chunking at any size, model and optimizer state resume exactly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tensor, fromArray, ready, tensor, zeros } from '@loom/tensor';
import { Linear, ReLU, Sequential } from '../index';
import { SGD } from '../optim';
import { decodeCheckpoint, encodeCheckpoint, load, save } from './checkpoint';
import { CheckpointError } from './errors';
import { INT32_EXTREMES, SPECIAL_FLOAT32_BITS, bitsOf, float32FromBits, tempDir } from './testing/helpers';

let dir: string;
beforeAll(async () => {
  await ready();
  dir = tempDir();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function sample(): Record<string, unknown> {
  return {
    epoch: 3,
    step: 2 ** 53 - 1,
    loss: 0.1 + 0.2,
    lr: 1e-3,
    negZero: -0,
    nan: NaN,
    inf: -Infinity,
    name: 'seed — ünïcode ✓',
    done: false,
    scheduler: null,
    missing: undefined,
    big: -(2n ** 100n),
    history: [1, 2.5, 'three', [true, null]],
    modelStateDict: {
      'linear_relu_stack.0.weight': float32FromBits(SPECIAL_FLOAT32_BITS, [2, 7]),
      'linear_relu_stack.0.bias': zeros([0, 3]),
      count: fromArray(Int32Array.from(INT32_EXTREMES), [5]),
      mask: tensor([[true, false], [false, true]]),
      scalar: tensor(2.5),
    },
    byIndex: new Map<unknown, unknown>([
      [0, 'zero'],
      ['k', { nested: 1 }],
    ]),
  };
}

function expectSame(loaded: unknown, original: unknown): void {
  if (original instanceof Tensor) {
    expect(loaded).toBeInstanceOf(Tensor);
    const t = loaded as Tensor;
    expect([t.dtype, t.shape, t.requiresGrad]).toEqual([original.dtype, original.shape, original.requiresGrad]);
    expect(bitsOf(t)).toEqual(bitsOf(original));
  } else if (original instanceof Map) {
    expect(loaded).toBeInstanceOf(Map);
    expect([...(loaded as Map<unknown, unknown>).keys()]).toEqual([...original.keys()]);
    for (const [k, v] of original) expectSame((loaded as Map<unknown, unknown>).get(k), v);
  } else if (Array.isArray(original)) {
    expect(Array.isArray(loaded)).toBe(true);
    expect((loaded as unknown[]).length).toBe(original.length);
    original.forEach((v, i) => expectSame((loaded as unknown[])[i], v));
  } else if (original !== null && typeof original === 'object') {
    expect(Object.keys(loaded as object)).toEqual(Object.keys(original));
    for (const [k, v] of Object.entries(original)) expectSame((loaded as Record<string, unknown>)[k], v);
  } else {
    expect(Object.is(loaded, original)).toBe(true);
  }
}

describe('round trip', () => {
  test('every value kind through a file, numbers and tensors bit for bit', async () => {
    const file = path.join(dir, 'all.ckpt');
    const original = sample();
    await save(original, file);
    const loaded = await load<Record<string, unknown>>(file);
    expectSame(loaded, original);
    expect(Number.isInteger(loaded.epoch)).toBe(true);
    expect(loaded.loss).toBe(0.30000000000000004);
  });

  test('the file holds exactly the bytes of encodeCheckpoint, and decodeCheckpoint reads them', async () => {
    const file = path.join(dir, 'same.ckpt');
    const original = sample();
    await save(original, file);
    const bytes = encodeCheckpoint(original);
    expect(Buffer.compare(fs.readFileSync(file), Buffer.from(bytes))).toBe(0);
    expectSame(decodeCheckpoint(bytes, 'test bytes'), original);
  });

  test.each([1, 3, 7, 64, 1000])('chunks of %i bytes load the same tensors', async (chunkBytes) => {
    const values = Float32Array.from({ length: 301 }, (_, i) => Math.sin(i) * 1e3);
    const original = { a: fromArray(values, [7, 43]), b: tensor([1, 2, 3], { dtype: 'int32' }), e: zeros([0]), c: tensor([true, false, true]) };
    const bytes = encodeCheckpoint(original, { chunkBytes });
    expectSame(decodeCheckpoint(bytes), original);
    const file = path.join(dir, `chunks-${chunkBytes}.ckpt`);
    await save(original, file, { chunkBytes });
    expectSame(await load(file), original);
    // More chunks cost framing bytes: a file with 1-byte chunks is much larger.
    if (chunkBytes === 1) expect(bytes.length).toBeGreaterThan(4 * 1219);
  });

  test('a tensor referenced twice is saved once and loads as one tensor (tied weights)', () => {
    const w = tensor([[1, 2], [3, 4]]);
    const once = encodeCheckpoint({ a: w });
    const twice = encodeCheckpoint({ a: w, b: w });
    expect(twice.length - once.length).toBeLessThan(40);
    const loaded = decodeCheckpoint<{ a: Tensor; b: Tensor }>(twice);
    expect(loaded.a).toBe(loaded.b);
  });

  test('requiresGrad is kept; the root may be a tensor or a primitive', () => {
    const p = tensor([1.5, -2], { requiresGrad: true });
    const loaded = decodeCheckpoint<Tensor>(encodeCheckpoint(p));
    expect(loaded.requiresGrad).toBe(true);
    expect(loaded.toArray()).toEqual([1.5, -2]);
    expect(decodeCheckpoint(encodeCheckpoint(42))).toBe(42);
    expect(decodeCheckpoint(encodeCheckpoint(null))).toBeNull();
  });

  test('a key named __proto__ stays data', () => {
    const original = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as Record<string, unknown>;
    const loaded = decodeCheckpoint<Record<string, unknown>>(encodeCheckpoint(original));
    expect(Object.getPrototypeOf(loaded)).toBe(Object.prototype);
    expect(Object.keys(loaded)).toEqual(['__proto__', 'x']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('values are captured when save is called', async () => {
    const file = path.join(dir, 'snapshot.ckpt');
    const w = tensor([1, 2, 3]).keep();
    const pending = save({ w }, file);
    w.assignHost(Float32Array.from([9, 9, 9]), 'test');
    await pending;
    expect((await load<{ w: Tensor }>(file)).w.toArray()).toEqual([1, 2, 3]);
  });
});

describe('training state', () => {
  test("a model's and an optimizer's state dicts resume exactly", async () => {
    const model = new Sequential(new Linear(6, 5), new ReLU(), new Linear(5, 3));
    const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const x = tensor(Array.from({ length: 4 }, (_, r) => Array.from({ length: 6 }, (_, c) => Math.cos(r * 6 + c))));
    const step = (m: Sequential, o: SGD): void => {
      o.zeroGrad();
      m.forward(x).pow(2).mean().backward();
      o.step();
    };
    step(model, optimizer);
    const file = path.join(dir, 'train.ckpt');
    await save({ epoch: 1, modelStateDict: model.stateDict(), optimizerStateDict: optimizer.stateDict(), loss: 0.25 }, file);
    step(model, optimizer);

    const ckpt = await load<{ epoch: number; modelStateDict: Record<string, Tensor>; optimizerStateDict: never; loss: number }>(file);
    const resumed = new Sequential(new Linear(6, 5), new ReLU(), new Linear(5, 3));
    resumed.loadStateDict(ckpt.modelStateDict);
    const resumedOptimizer = new SGD(resumed.parameters(), { lr: 0.1, momentum: 0.9 });
    resumedOptimizer.loadStateDict(ckpt.optimizerStateDict);
    step(resumed, resumedOptimizer);
    expect([ckpt.epoch, ckpt.loss]).toEqual([1, 0.25]);
    const a = model.stateDict() as Record<string, Tensor>;
    const b = resumed.stateDict() as Record<string, Tensor>;
    for (const key of Object.keys(a)) expect(bitsOf(b[key] as Tensor)).toEqual(bitsOf(a[key] as Tensor));
  });
});

describe('what cannot be saved', () => {
  const refused = (value: unknown): CheckpointError => {
    try {
      encodeCheckpoint(value);
    } catch (err) {
      expect(err).toBeInstanceOf(CheckpointError);
      return err as CheckpointError;
    }
    throw new Error('encodeCheckpoint accepted the value');
  };

  test.each([
    ['a function', { model: { forward: () => 1 } }, /checkpoint\.model\.forward .*function/],
    ['a class instance', { model: new Linear(2, 2) }, /checkpoint\.model .*Linear, not a plain object[\s\S]*help: .*stateDict/],
    ['a typed array', { w: new Float32Array(2) }, /checkpoint\.w .*Float32Array[\s\S]*fromArray/],
    ['a symbol', { s: Symbol('x') }, /checkpoint\.s .*symbol/],
    ['an object Map key', { m: new Map([[{}, 1]]) }, /checkpoint\.m\.get\(\[object Object\]\) .*key/],
  ])('%s', (_, value, message) => {
    const err = refused(value);
    expect(err.code).toBe('LOOM_CHECKPOINT_UNSUPPORTED');
    expect(err.message).toMatch(message);
  });

  test('a cycle', () => {
    const a: Record<string, unknown> = { x: 1 };
    a.self = { back: a };
    expect(refused(a).message).toMatch(/checkpoint\.self\.back .*cycle/);
  });

  test('a released tensor', () => {
    const t = tensor([1]);
    t.dispose();
    expect(refused({ 'odd key': t }).message).toMatch(/checkpoint\["odd key"\] .*released/);
  });

  test('a bad chunk size', () => {
    expect(() => encodeCheckpoint({}, { chunkBytes: 0 })).toThrow(/chunkBytes must be an integer/);
    expect(() => encodeCheckpoint({}, { chunkBytes: 2 ** 31 })).toThrow(/chunkBytes/);
  });

  test('nesting deeper than protobuf reads is refused on save, the deepest allowed loads', () => {
    const nest = (levels: number): unknown => {
      let v: unknown = tensor([1]);
      for (let i = 0; i < levels; i++) v = { a: v };
      return v;
    };
    expect(refused(nest(40)).message).toMatch(/nested too deeply/);
    let deepest = 0;
    for (let levels = 1; levels < 40; levels++) {
      try {
        encodeCheckpoint(nest(levels));
        deepest = levels;
      } catch {
        break;
      }
    }
    expect(deepest).toBeGreaterThanOrEqual(30);
    let v = decodeCheckpoint(encodeCheckpoint(nest(deepest))) as Record<string, unknown>;
    for (let i = 0; i < deepest; i++) v = v.a as Record<string, unknown>;
    expect((v as unknown as Tensor).toArray()).toEqual([1]);
  });
});
