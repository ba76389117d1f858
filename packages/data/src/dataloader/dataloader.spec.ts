import { Generator, Tensor, manualSeed, ready, tensor } from '@loom/tensor';
import { Dataset, IterableDataset } from '../dataset/dataset';
import { BatchSampler } from '../sampler/batch-sampler';
import { ToTensor } from '../transforms/to-tensor';
import { HostImage } from '../vision/host-image';
import { SequentialSampler } from '../sampler/sequential-sampler';
import { DataLoader } from './dataloader';

/** PyTorch's `list(range(n))` as a dataset; optionally async. */
class Range extends Dataset<number> {
  constructor(
    readonly n: number,
    readonly async = false,
  ) {
    super();
  }
  getItem(i: number): number | Promise<number> {
    return this.async ? new Promise((done) => setTimeout(() => done(i), 1)) : i;
  }
  get length(): number {
    return this.n;
  }
}

class Stream extends IterableDataset<number> {
  constructor(readonly n: number) {
    super();
  }
  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.n; i++) yield i;
  }
}

async function batches(loader: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const b of loader) out.push(b instanceof Tensor ? b.toArray() : b);
  return out;
}

describe('DataLoader (single process)', () => {
  beforeAll(() => ready());

  it('shuffles as PyTorch with the global generator: base seed first, then the sampler seed', async () => {
    // torch.manual_seed(0); DataLoader(list(range(10)), batch_size=3, shuffle=True), 2 epochs.
    manualSeed(0);
    const loader = new DataLoader(new Range(10), { batchSize: 3, shuffle: true });
    expect(await batches(loader)).toEqual([[6, 7, 1], [4, 2, 0], [9, 8, 3], [5]]);
    expect(await batches(loader)).toEqual([[2, 4, 7], [0, 8, 9], [5, 3, 6], [1]]);
  });

  it('shuffles as PyTorch with its own generator', async () => {
    const loader = new DataLoader(new Range(10), { batchSize: 3, shuffle: true, generator: new Generator(42) });
    expect(await batches(loader)).toEqual([[6, 5, 4], [0, 8, 9], [2, 1, 3], [7]]);
  });

  it('batches in order, drops the last short batch, takes a batch sampler, or no batching at all', async () => {
    expect(await batches(new DataLoader(new Range(5), { batchSize: 2 }))).toEqual([[0, 1], [2, 3], [4]]);
    expect(await batches(new DataLoader(new Range(5), { batchSize: 2, dropLast: true }))).toEqual([[0, 1], [2, 3]]);
    const batchSampler = new BatchSampler(new SequentialSampler(new Range(5)), 4, false);
    expect(await batches(new DataLoader(new Range(5), { batchSampler }))).toEqual([[0, 1, 2, 3], [4]]);
    expect(await batches(new DataLoader(new Range(3), { batchSize: null }))).toEqual([0, 1, 2]);
  });

  it('awaits an async getItem and iterates an IterableDataset', async () => {
    expect(await batches(new DataLoader(new Range(4, true), { batchSize: 3 }))).toEqual([[0, 1, 2], [3]]);
    expect(await batches(new DataLoader(new Stream(5), { batchSize: 2 }))).toEqual([[0, 1], [2, 3], [4]]);
    expect(await batches(new DataLoader(new Stream(5), { batchSize: 2, dropLast: true }))).toEqual([[0, 1], [2, 3]]);
  });

  it('releases the samples once collated and keeps the batch through its step, with sync and async getItem', async () => {
    // ToTensor's samples (host values, written straight into the batch).
    class Images extends Dataset<[Tensor, number]> {
      readonly made: Tensor[] = [];
      constructor(readonly asyncEvery: number) {
        super();
      }
      getItem(i: number): [Tensor, number] | Promise<[Tensor, number]> {
        const image = new ToTensor().forward(new HostImage(Uint8Array.of(i, 2 * i, 3 * i, 255), 2, 2));
        this.made.push(image);
        return i % this.asyncEvery === this.asyncEvery - 1 ? new Promise((done) => setTimeout(() => done([image, i]), 1)) : [image, i];
      }
      get length(): number {
        return 7;
      }
    }
    for (const asyncEvery of [Infinity, 3]) {
      const dataset = new Images(asyncEvery);
      const seen: [Tensor, Tensor][] = [];
      const labels: unknown[] = [];
      for await (const [X, y] of new DataLoader(dataset, { batchSize: 3 })) {
        labels.push(y!.toArray());
        expect(X!.isDisposed).toBe(false);
        // Synchronous samples went when their batch was made; after an async one, with the step.
        if (asyncEvery === Infinity) expect(dataset.made.every((t) => t.isDisposed)).toBe(true);
        seen.push([X!, y!]);
      }
      expect(seen.map(([X]) => X.shape)).toEqual([[3, 1, 2, 2], [3, 1, 2, 2], [1, 1, 2, 2]]);
      expect(labels).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
      expect(Array.from(seen[2]![0].hostView()!)).toEqual([6, 12, 18, 255].map((v) => Math.fround(v / 255)));
      expect(dataset.made.every((t) => t.isDisposed)).toBe(true);
      expect(seen.slice(0, -1).every(([X, y]) => X.isDisposed && y.isDisposed)).toBe(true);
    }
  });

  it('keeps samples that kernels already used until the step ends (they were stacked)', async () => {
    class OnBackend extends Dataset<Tensor> {
      readonly made: Tensor[] = [];
      getItem(i: number): Tensor {
        const t = tensor([i, i]).add(0); // on the backend
        this.made.push(t);
        return t;
      }
      get length(): number {
        return 4;
      }
    }
    const dataset = new OnBackend();
    for await (const X of new DataLoader(dataset, { batchSize: 2 })) {
      expect((X as Tensor).isOnHost).toBe(false);
      expect(dataset.made.slice(-2).every((t) => !t.isDisposed)).toBe(true);
    }
  });

  it('uses a custom collateFn on the samples', async () => {
    const loader = new DataLoader(new Range(4), { batchSize: 2, collateFn: (xs: number[]) => xs.join('+') });
    expect(await batches(loader)).toEqual(['0+1', '2+3']);
  });

  it("makes next(iter(loader)) the iterator's first next()", async () => {
    const it = new DataLoader(new Range(10), { batchSize: 4 })[Symbol.asyncIterator]();
    const { value } = await it.next();
    expect((value as Tensor).toArray()).toEqual([0, 1, 2, 3]);
    await it.return();
  });

  it('releases each batch when the next one is requested, except what the loop keeps', async () => {
    const seen: Tensor[] = [];
    const kept: Tensor[] = [];
    for await (const b of new DataLoader(new Range(6), { batchSize: 2 })) {
      seen.push(b as Tensor);
      kept.push((b as Tensor).add(tensor(0)).keep());
    }
    expect(seen.slice(0, -1).every((t) => t.isDisposed)).toBe(true);
    expect(kept.map((t) => t.toArray())).toEqual([[0, 1], [2, 3], [4, 5]]);
    kept.forEach((t) => t.dispose());
  });

  it("warns, as PyTorch, when an IterableDataset yields more batches than its length said", async () => {
    class Liar extends Stream {
      get length(): number {
        return 2;
      }
    }
    const loader = new DataLoader(new Liar(5), { batchSize: 1 });
    expect(loader.length).toBe(2);
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    await batches(loader);
    const calls = [...emitWarning.mock.calls];
    emitWarning.mockRestore();
    expect(calls).toEqual([
      [expect.stringMatching(/Length of IterableDataset Liar was reported to be 2 batches .* but 3 batches have been fetched/), { code: 'LOOM_DATALOADER_ITERABLE_LENGTH' }],
    ]);
  });
});
