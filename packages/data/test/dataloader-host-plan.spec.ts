/**
 * Host-only workers (NOTE [Host-only workers] in src/dataloader/host-plan.ts): workers
 * compute MNIST-style batches with ToTensor (and Normalize) without the dataset's code
 * and without loading @loom/tensor, and give the batches of the dataset's own path.
 * Workers load compiled JavaScript: build @loom/tensor and @loom/data first.
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Generator, ready, type Tensor } from '@loom/tensor';
import { Compose, DataLoader, DataLoaderWorkerError, FashionMNIST, Normalize, RandomHorizontalFlip, ToTensor, randomSplit } from '@loom/data';
import { removeDir, tempDir, writeSplit } from './fixtures/idx-fixtures';

/** Images in the fixture split; batches of BATCH leave a short last one. */
const COUNT = 100;
const BATCH = 8;
const BATCHES = Math.ceil(COUNT / BATCH);

let root: string;

beforeAll(async () => {
  await ready();
  root = tempDir('loom-host-plan-');
  writeSplit(join(root, 'FashionMNIST', 'raw'), { count: COUNT });
});
afterAll(() => removeDir(root));

const transforms: [string, () => ToTensor | Compose][] = [
  ['ToTensor', () => new ToTensor()],
  ['Compose(ToTensor, Normalize)', () => new Compose([new ToTensor(), new Normalize([0.2860], [0.3530])])],
];

/** Each batch's [X values, X shape, y values], epoch after epoch. */
async function batches(loader: DataLoader<never, unknown>, epochs: number): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let e = 0; e < epochs; e++) {
    for await (const batch of loader) {
      const [X, y] = batch as [Tensor, Tensor];
      out.push([Array.from(X.data()), [...X.shape], X.dtype, y.toArray(), y.dtype]);
    }
  }
  return out;
}

describe('DataLoader host-only workers', () => {
  it.each(transforms)('give the batches of 0 workers, bit for bit, with %s (1 and 4 workers, pinned or not)', async (_, transform) => {
    const dataset = new FashionMNIST({ root, systemDirs: [], transform: transform() });
    const options = { batchSize: BATCH, shuffle: true };
    const expected = await batches(new DataLoader(dataset, { ...options, generator: new Generator(7) }) as never, 2);
    for (const numWorkers of [1, 4]) {
      for (const pinMemory of [false, true]) {
        const loader = new DataLoader(dataset, { ...options, generator: new Generator(7), numWorkers, pinMemory });
        expect(await batches(loader as never, 2)).toEqual(expected);
        // Each epoch's pool sends prefetchFactor x numWorkers batches before the first one sizes the ring.
        const pinned = pinMemory ? 2 * (BATCHES - 2 * numWorkers) : 0;
        expect(loader.stats()).toMatchObject({ hostPlanBatches: 2 * BATCHES, pinnedBatches: pinned });
        await loader.close();
      }
    }
  });

  it('give the batches of 0 workers for a randomSplit of the dataset', async () => {
    const dataset = new FashionMNIST({ root, systemDirs: [], transform: new ToTensor() });
    const [train] = randomSplit(dataset, [0.8, 0.2], new Generator(1));
    const options = { batchSize: BATCH, shuffle: true };
    const expected = await batches(new DataLoader(train!, { ...options, generator: new Generator(2) }) as never, 1);
    const loader = new DataLoader(train!, { ...options, generator: new Generator(2), numWorkers: 2, pinMemory: true });
    expect(await batches(loader as never, 1)).toEqual(expected);
    expect(loader.stats().hostPlanBatches).toBe(expected.length);
  });

  it('leave a batch with an index out of range to the dataset, which reports it', async () => {
    const dataset = new FashionMNIST({ root, systemDirs: [], transform: new ToTensor() });
    const loader = new DataLoader(dataset, { batchSampler: [[0, 1], [2, COUNT]], numWorkers: 1 });
    const it = loader[Symbol.asyncIterator]();
    expect(((await it.next()).value as Tensor[])[1]!.toArray()).toEqual([0, 3]);
    const err: unknown = await it.next().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataLoaderWorkerError);
    expect(err).toMatchObject({ workerId: 0, sampleIndex: COUNT, batchIndex: 1 });
    expect((err as Error).message).toContain(`FashionMNIST.getItem`);
    expect(loader.stats().hostPlanBatches).toBe(1);
  });

  it('run the dataset code for other pipelines, with the same batches where they agree', async () => {
    // A flip with p = 0 never flips, but it draws from the worker's generator: only the dataset's code can do that.
    const flipNever = new FashionMNIST({ root, systemDirs: [], transform: new Compose([new RandomHorizontalFlip(0), new ToTensor()]) });
    const planned = new FashionMNIST({ root, systemDirs: [], transform: new ToTensor() });
    const options = { batchSize: BATCH, shuffle: true, numWorkers: 2 };
    const viaDataset = new DataLoader(flipNever, { ...options, generator: new Generator(3) });
    const viaPlan = new DataLoader(planned, { ...options, generator: new Generator(3) });
    expect(await batches(viaDataset as never, 1)).toEqual(await batches(viaPlan as never, 1));
    expect([viaDataset.stats().hostPlanBatches, viaPlan.stats().hostPlanBatches]).toEqual([0, BATCHES]);
  });

  it('load a worker script that loads nothing of @loom/tensor or TensorFlow.js until a batch needs the dataset', () => {
    const worker = resolve(__dirname, '../dist/dataloader/worker.js');
    const loaded = execFileSync(process.execPath, ['-e', `require(${JSON.stringify(worker)}); console.log(JSON.stringify(Object.keys(require.cache)))`], { encoding: 'utf8' });
    const modules = JSON.parse(loaded) as string[];
    expect(modules.filter((m) => /@tensorflow|[/\\]tensor[/\\]dist[/\\]|[/\\]data[/\\]dist[/\\]index\.js/.test(m))).toEqual([]);
    expect(modules.some((m) => m.endsWith('host-batch.js'))).toBe(true);
  });
});
