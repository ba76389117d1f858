import { ArgumentError, Generator, ready } from '@loom/tensor';
import { defaultCollate } from '../collate/default-collate';
import { Dataset, IterableDataset } from '../dataset/dataset';
import { WorkerSpecError } from '../errors';
import { BatchSampler } from '../sampler/batch-sampler';
import { RandomSampler } from '../sampler/random-sampler';
import { SequentialSampler } from '../sampler/sequential-sampler';
import { DataLoader } from './dataloader';
import { DataLoaderStateError } from './dataloader-errors';

class Numbers extends Dataset<number> {
  constructor(readonly n: number) {
    super();
  }
  getItem(i: number): number {
    return i;
  }
  get length(): number {
    return this.n;
  }
}

class Stream extends IterableDataset<number> {
  *[Symbol.iterator](): Iterator<number> {
    yield* [1, 2, 3];
  }
}

class SizedStream extends Stream {
  get length(): number {
    return 10;
  }
}

/** A dataset workers could re-create (construction alone starts no worker). */
class Recreatable extends Numbers {
  workerSpec(): { module: string; exportName: string; args: unknown[] } {
    return { module: __filename, exportName: 'Recreatable', args: [this.n] };
  }
}

const ds = new Numbers(10);

describe('DataLoader options: PyTorch 1.13 defaults', () => {
  beforeAll(() => ready());

  it('defaults to batches of 1 in order, without workers', () => {
    const loader = new DataLoader(ds);
    expect(loader.batchSize).toBe(1);
    expect(loader.numWorkers).toBe(0);
    expect(loader.dropLast).toBe(false);
    expect(loader.pinMemory).toBe(false);
    expect(loader.timeout).toBe(0);
    expect(loader.prefetchFactor).toBeUndefined();
    expect(loader.persistentWorkers).toBe(false);
    expect(loader.inOrder).toBe(true);
    expect(loader.collateFn).toBe(defaultCollate);
    expect(loader.sampler).toBeInstanceOf(SequentialSampler);
    expect(loader.batchSampler).toBeInstanceOf(BatchSampler);
    expect(loader.dataset).toBe(ds);
    expect(loader.length).toBe(10);
  });

  it('shuffles with a RandomSampler on the loader generator, prefetches 2 per worker', () => {
    const generator = new Generator(1);
    const loader = new DataLoader(new Recreatable(10), { shuffle: true, generator, numWorkers: 1 });
    expect(loader.sampler).toBeInstanceOf(RandomSampler);
    expect((loader.sampler as RandomSampler).generator).toBe(generator);
    expect(loader.prefetchFactor).toBe(2);
  });

  it('reports PyTorch len(): ceil or floor of samples / batchSize, the batch sampler length', () => {
    expect(new DataLoader(ds, { batchSize: 3 }).length).toBe(4);
    expect(new DataLoader(ds, { batchSize: 3, dropLast: true }).length).toBe(3);
    expect(new DataLoader(ds, { batchSize: null }).length).toBe(10);
    const batchSampler = new BatchSampler(new SequentialSampler(ds), 4, false);
    const loader = new DataLoader(ds, { batchSampler });
    expect(loader.batchSize).toBeNull();
    expect(loader.length).toBe(3);
    expect(new DataLoader(new SizedStream(), { batchSize: 4 }).length).toBe(3);
    expect(new DataLoader(new SizedStream(), { batchSize: 4, dropLast: true }).length).toBe(2);
  });

  it('says why the length of an iterable dataset without one is unknown', () => {
    expect(() => new DataLoader(new Stream()).length).toThrow(DataLoaderStateError);
    expect(() => new DataLoader(new Stream()).length).toThrow(/IterableDataset Stream has no length/);
  });
});

describe('DataLoader options: PyTorch argument checks', () => {
  const sampler = new SequentialSampler(ds);
  const batchSampler = new BatchSampler(sampler, 2, false);

  it.each<[string, () => unknown, RegExp]>([
    ['negative numWorkers', () => new DataLoader(ds, { numWorkers: -1 }), /numWorkers option should be non-negative; use numWorkers=0 to disable multiprocessing\./],
    ['fractional numWorkers', () => new DataLoader(ds, { numWorkers: 1.5 }), /numWorkers option should be non-negative/],
    ['negative timeout', () => new DataLoader(ds, { timeout: -1 }), /timeout option should be non-negative/],
    ['prefetchFactor without workers', () => new DataLoader(ds, { prefetchFactor: 2 }), /prefetchFactor option could only be specified in multiprocessing\. let numWorkers > 0 to enable multiprocessing/],
    ['zero prefetchFactor', () => new DataLoader(ds, { numWorkers: 1, prefetchFactor: 0 }), /prefetchFactor should be a positive integer value, but got prefetchFactor=0/],
    ['persistentWorkers without workers', () => new DataLoader(ds, { persistentWorkers: true }), /persistentWorkers option needs numWorkers > 0/],
    ['sampler with shuffle', () => new DataLoader(ds, { sampler, shuffle: true }), /sampler option is mutually exclusive with shuffle/],
    ['batchSampler with batchSize', () => new DataLoader(ds, { batchSampler, batchSize: 4 }), /batchSampler option is mutually exclusive with batchSize, shuffle, sampler, and dropLast/],
    ['batchSampler with shuffle', () => new DataLoader(ds, { batchSampler, shuffle: true }), /batchSampler option is mutually exclusive/],
    ['batchSampler with sampler', () => new DataLoader(ds, { batchSampler, sampler }), /batchSampler option is mutually exclusive/],
    ['batchSampler with dropLast', () => new DataLoader(ds, { batchSampler, dropLast: true }), /batchSampler option is mutually exclusive/],
    ['batchSize null with dropLast', () => new DataLoader(ds, { batchSize: null, dropLast: true }), /batchSize=null option disables auto-batching and is mutually exclusive with dropLast/],
    ['zero batchSize', () => new DataLoader(ds, { batchSize: 0 }), /batchSize should be a positive integer value, but got batchSize=0/],
    ['shuffle of an IterableDataset', () => new DataLoader(new Stream(), { shuffle: true }), /DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=true/],
    ['sampler of an IterableDataset', () => new DataLoader(new Stream(), { sampler }), /expected unspecified sampler option, but got sampler=a SequentialSampler/],
    ['batchSampler of an IterableDataset', () => new DataLoader(new Stream(), { batchSampler }), /expected unspecified batchSampler option/],
    ['timeout without workers', () => new DataLoader(ds, { timeout: 5 }), /timeout option needs numWorkers > 0/],
    ['a non-boolean shuffle', () => new DataLoader(ds, { shuffle: 'yes' as unknown as boolean }), /shuffle should be a boolean value, but got shuffle=yes/],
    ['a snake_case option', () => new DataLoader(ds, { batch_size: 64 } as never), /unknown option batch_size\nhelp: Loom's options are camelCase: batchSize/],
    ['something that is not a dataset', () => new DataLoader([1, 2, 3] as never), /dataset should be a Dataset \(getItem and length\) or an IterableDataset/],
  ])('rejects %s', (_, make, message) => {
    expect(make).toThrow(ArgumentError);
    expect(make).toThrow(message);
  });

  it('allows what PyTorch allows: batchSize 1 beside a batchSampler, shuffle false on a stream, a function workerInitFn without workers', () => {
    expect(() => new DataLoader(ds, { batchSampler, batchSize: 1 })).not.toThrow();
    expect(() => new DataLoader(new Stream(), { shuffle: false })).not.toThrow();
    expect(() => new DataLoader(ds, { workerInitFn: () => undefined })).not.toThrow();
  });
});

describe('DataLoader options: what can go to worker threads', () => {
  it('names the dataset class and the two fixes when it cannot be re-created in a worker', () => {
    const make = (): unknown => new DataLoader(ds, { numWorkers: 2 });
    expect(make).toThrow(WorkerSpecError);
    expect(make).toThrow(/numWorkers=2 .* the dataset Numbers cannot be re-created there: it has no workerSpec\(\) method/);
    expect(make).toThrow(/help: implement workerSpec\(\) on Numbers.*or use numWorkers: 0/);
  });

  it('refuses a closure workerInitFn and a relative module path', () => {
    expect(() => new DataLoader(new Recreatable(4), { numWorkers: 1, workerInitFn: () => undefined })).toThrow(
      /workerInitFn is the function workerInitFn, which cannot be sent to worker threads/,
    );
    expect(() => new DataLoader(new Recreatable(4), { numWorkers: 1, workerInitFn: './init' })).toThrow(/workerInitFn module '.\/init' is a relative path/);
  });
});
