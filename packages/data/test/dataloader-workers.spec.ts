/**
 * The pooled DataLoader (numWorkers > 0) against PyTorch's behaviour: batch order and
 * seeds (goldens from torch 1.13), prefetching, persistent workers, inOrder, iterable
 * datasets, collate placement, releasing the pool. Workers load compiled JavaScript:
 * build @loom/tensor and @loom/data first (nx runs `build` before `test`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Generator, Tensor, ready } from '@loom/tensor';
import { DataLoader, type Dataset, type IterableDataset } from '@loom/data';

/** Datasets the worker threads can load: plain JavaScript, re-created from workerSpec(). */
const FIXTURES = `'use strict';
const { isMainThread } = require('node:worker_threads');
const DATA = ${JSON.stringify(resolve(__dirname, '../dist/index.js'))};
const TENSOR = ${JSON.stringify(resolve(__dirname, '../../tensor/dist/index.js'))};
const workerInfo = () => (isMainThread ? null : require(DATA).getWorkerInfo());

/**
 * getItem(i) = [Float32Array [i, i*i], i]. Options: counter, a shared Int32Array counting
 * getItem calls; gate, a shared Int32Array: sample 0 waits (asynchronously) until it is set.
 */
class Squares {
  constructor(n, options = {}) { this.n = n; this.options = options; }
  get length() { return this.n; }
  getItem(i) {
    const { counter, gate } = this.options;
    if (counter) Atomics.add(counter, 0, 1);
    const sample = [Float32Array.of(i, i * i), i];
    if (!gate || i !== 0) return sample;
    return new Promise((done) => {
      const poll = () => (Atomics.load(gate, 0) === 1 ? done(sample) : setTimeout(poll, 5));
      poll();
    });
  }
  workerSpec() { return { module: __filename, exportName: 'Squares', args: [this.n, this.options] }; }
}

/** Which worker loaded a sample, with its seed, a draw from its default generator and what init set. */
class WhoLoaded {
  constructor(n) { this.n = n; }
  get length() { return this.n; }
  getItem(i) {
    const info = workerInfo();
    const tensor = require(TENSOR);
    return { index: i, worker: info.id, seed: String(info.seed), draw: tensor.defaultGenerator.uniform(1)[0],
             init: globalThis.loomInit ?? -1, backendStarted: tensor.backendInfo() !== null };
  }
  workerSpec() { return { module: __filename, exportName: 'WhoLoaded', args: [this.n] }; }
}

/** An iterable dataset over [start, end), sharded by worker as PyTorch's documentation shows. */
class Range {
  constructor(start, end) { this.start = start; this.end = end; }
  get length() { return this.end - this.start; }
  async *[Symbol.asyncIterator]() {
    const info = workerInfo();
    const [first, step] = info ? [this.start + info.id, info.numWorkers] : [this.start, 1];
    for (let i = first; i < this.end; i += step) yield i;
  }
  workerSpec() { return { module: __filename, exportName: 'Range', args: [this.start, this.end] }; }
}

/** A collate function workers can re-create: new SumCollate() returns it. */
function SumCollate() {
  const collate = (batch) => ({ sums: batch.map(([x]) => x[0] + x[1]), inWorker: !isMainThread });
  collate.workerSpec = () => ({ module: __filename, exportName: 'SumCollate', args: [] });
  return collate;
}

function init(workerId) { globalThis.loomInit = 100 + workerId; }

module.exports = { Squares, WhoLoaded, Range, SumCollate, init };
`;

type Sample = [Float32Array, number];
interface Fixtures {
  Squares: new (n: number, options?: { counter?: Int32Array; gate?: Int32Array }) => Dataset<Sample>;
  WhoLoaded: new (n: number) => Dataset<Record<string, unknown>>;
  Range: new (start: number, end: number) => IterableDataset<number>;
  SumCollate: () => (batch: Sample[]) => { sums: number[]; inWorker: boolean };
}

let dir: string;
let fixturePath: string;
let fx: Fixtures;

beforeAll(async () => {
  await ready();
  dir = mkdtempSync(join(tmpdir(), 'loom-dataloader-'));
  fixturePath = join(dir, 'fixtures.js');
  writeFileSync(fixturePath, FIXTURES);
  fx = require(fixturePath) as Fixtures;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every batch's labels (or values), epoch by epoch. */
async function epochs(loader: DataLoader<never, unknown>, n: number): Promise<number[][][]> {
  const out: number[][][] = [];
  for (let e = 0; e < n; e++) {
    const batches: number[][] = [];
    for await (const batch of loader) {
      const y = Array.isArray(batch) ? (batch[1] as Tensor) : (batch as Tensor);
      batches.push(y.toArray() as number[]);
    }
    out.push(batches);
  }
  return out;
}

// torch 1.13: DataLoader(list(range(10)), batch_size=3, shuffle=True, generator=torch.Generator().manual_seed(42)), 2 epochs.
const GOLDEN_GEN42 = [
  [[6, 5, 4], [0, 8, 9], [2, 1, 3], [7]],
  [[3, 6, 5], [8, 9, 4], [2, 0, 7], [1]],
];
// The same with num_workers=1, persistent_workers=True: the base seed is drawn once, so epoch 2 differs.
const GOLDEN_GEN42_PERSISTENT = [GOLDEN_GEN42[0], [[9, 0, 3], [6, 1, 8], [7, 2, 4], [5]]];
// torch.empty((), dtype=torch.int64).random_(generator=torch.Generator().manual_seed(42)): the base seed.
const BASE_SEED_GEN42 = 6909045637428952499n;

describe('DataLoader with workers', () => {
  it('gives the same batches with 0, 1 and 4 workers as PyTorch for the same seed', async () => {
    for (const numWorkers of [0, 1, 4]) {
      const loader = new DataLoader(new fx.Squares(10), { batchSize: 3, shuffle: true, generator: new Generator(42), numWorkers });
      expect(await epochs(loader as never, 2)).toEqual(GOLDEN_GEN42);
    }
    const it = new DataLoader(new fx.Squares(10), { batchSize: 2, numWorkers: 2 })[Symbol.asyncIterator]();
    const [X] = (await it.next()).value as [Tensor, Tensor];
    expect(X.toArray()).toEqual([[0, 0], [1, 1]]);
    await it.return();
  });

  it('keeps one pool with persistentWorkers (drawing the base seed once, as PyTorch), else one per epoch', async () => {
    const persistent = new DataLoader(new fx.Squares(10), { batchSize: 3, shuffle: true, generator: new Generator(42), numWorkers: 1, persistentWorkers: true });
    expect(await epochs(persistent as never, 2)).toEqual(GOLDEN_GEN42_PERSISTENT);
    expect(persistent.stats()).toMatchObject({ poolsStarted: 1, poolsDestroyed: 0 });
    await persistent.close();
    expect(persistent.stats()).toMatchObject({ poolsStarted: 1, poolsDestroyed: 1 });
    const perEpoch = new DataLoader(new fx.Squares(10), { batchSize: 3, numWorkers: 2 });
    await epochs(perEpoch as never, 3);
    expect(perEpoch.stats()).toMatchObject({ poolsStarted: 3, poolsDestroyed: 3 });
  });

  it('seeds worker k with baseSeed + k, runs workerInitFn(k), repeats random streams run to run, never starts tfjs', async () => {
    const run = async (): Promise<Record<string, unknown>[]> => {
      const loader = new DataLoader(new fx.WhoLoaded(6), {
        numWorkers: 2,
        generator: new Generator(42),
        workerInitFn: { module: fixturePath, exportName: 'init' },
      });
      const rows: Record<string, unknown>[] = [];
      for await (const b of loader) {
        const batch = b as Record<string, Tensor | string[]>;
        const value = (k: string): unknown => (batch[k] instanceof Tensor ? (batch[k] as Tensor).toArray() : batch[k]);
        rows.push({ worker: value('worker'), seed: value('seed'), draw: value('draw'), init: value('init'), backend: value('backendStarted') });
      }
      return rows;
    };
    const first = await run();
    // Batch k goes to worker k mod 2 (PyTorch's round robin).
    expect(first.map((r) => r['worker'])).toEqual([[0], [1], [0], [1], [0], [1]]);
    expect(first.map((r) => r['seed'])).toEqual(first.map((_, k) => [String(BASE_SEED_GEN42 + BigInt(k % 2))]));
    expect(first.map((r) => r['init'])).toEqual(first.map((_, k) => [100 + (k % 2)]));
    expect(first.every((r) => (r['backend'] as boolean[])[0] === false)).toBe(true);
    expect(await run()).toEqual(first);
  });

  it('keeps at most prefetchFactor x numWorkers batches in flight', async () => {
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const loader = new DataLoader(new fx.Squares(40, { counter }), { numWorkers: 2, prefetchFactor: 3 });
    const it = loader[Symbol.asyncIterator]();
    await it.next();
    // 6 in flight when the first batch was handed out, then one more sent in its place.
    for (let i = 0; i < 100 && Atomics.load(counter, 0) < 7; i++) await new Promise((done) => setTimeout(done, 20));
    await new Promise((done) => setTimeout(done, 200));
    expect(Atomics.load(counter, 0)).toBe(7);
    await it.return();
    expect(loader.stats().poolsDestroyed).toBe(1);
  });

  it('yields batches as they arrive with inOrder: false, in sampler order otherwise', async () => {
    // Sample 0 is held back until the loop has received another batch.
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const unordered: number[] = [];
    for await (const [, y] of new DataLoader(new fx.Squares(6, { gate }), { numWorkers: 2, inOrder: false })) {
      unordered.push((y as Tensor).item());
      Atomics.store(gate, 0, 1);
    }
    expect(unordered[0]).not.toBe(0);
    expect([...unordered].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    const ordered: number[] = [];
    for await (const [, y] of new DataLoader(new fx.Squares(6), { numWorkers: 2 })) ordered.push((y as Tensor).item());
    expect(ordered).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('releases the workers on break', async () => {
    const loader = new DataLoader(new fx.Squares(100), { batchSize: 4, numWorkers: 2 });
    let seen = 0;
    for await (const batch of loader) {
      expect(batch).toHaveLength(2);
      if (++seen === 2) break;
    }
    expect(loader.stats()).toMatchObject({ poolsStarted: 1, poolsDestroyed: 1 });
  });

  it('destroys the pool of an iterator dropped mid-epoch (next(iter(loader))) once it is garbage-collected', async () => {
    setFlagsFromString('--expose_gc');
    const gc = runInNewContext('gc') as () => void;
    const loader = new DataLoader(new fx.Squares(100), { batchSize: 4, numWorkers: 2 });
    await (async () => {
      const [, y] = (await loader[Symbol.asyncIterator]().next()).value as [Tensor, Tensor];
      expect(y.toArray()).toEqual([0, 1, 2, 3]);
    })();
    for (let i = 0; i < 40 && loader.stats().poolsDestroyed === 0; i++) {
      await new Promise((done) => setTimeout(done, 50)); // the prefetched tasks finish, then nothing holds the iterator
      gc();
    }
    expect(loader.stats()).toMatchObject({ poolsStarted: 1, poolsDestroyed: 1 });
  });

  it('shards an IterableDataset with getWorkerInfo, batches taken worker by worker as PyTorch', async () => {
    const values = async (numWorkers: number, batchSize: number, dropLast = false): Promise<number[][]> => {
      const out: number[][] = [];
      for await (const b of new DataLoader(new fx.Range(0, 10), { batchSize, numWorkers, dropLast })) out.push((b as Tensor).toArray() as number[]);
      return out;
    };
    expect(await values(2, 2)).toEqual([[0, 2], [1, 3], [4, 6], [5, 7], [8], [9]]);
    expect(await values(0, 2)).toEqual([[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]);
    expect(await values(2, 4, true)).toEqual([[0, 2, 4, 6], [1, 3, 5, 7]]);
  });

  it('collates in the workers with a recreatable collateFn, on the main thread with a closure', async () => {
    const inWorker = new DataLoader(new fx.Squares(4), { batchSize: 2, numWorkers: 2, collateFn: fx.SumCollate() });
    const closure = new DataLoader(new fx.Squares(4), { batchSize: 2, numWorkers: 2, collateFn: (batch: Sample[]) => ({ sums: batch.map(([x]) => x[0]! + x[1]!), n: batch.length }) });
    const collect = async <B>(loader: DataLoader<Sample, B>): Promise<B[]> => {
      const out: B[] = [];
      for await (const b of loader) out.push(b);
      return out;
    };
    expect(await collect(inWorker)).toEqual([{ sums: [0, 2], inWorker: true }, { sums: [6, 12], inWorker: true }]);
    expect(await collect(closure)).toEqual([{ sums: [0, 2], n: 2 }, { sums: [6, 12], n: 2 }]);
  });

  it('hands out samples one by one with batchSize: null', async () => {
    const samples: unknown[] = [];
    for await (const s of new DataLoader(new fx.Squares(3), { batchSize: null, numWorkers: 2 })) samples.push(s);
    expect(samples).toEqual([[Float32Array.of(0, 0), 0], [Float32Array.of(1, 1), 1], [Float32Array.of(2, 4), 2]]);
  });
});
