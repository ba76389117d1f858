import { Generator, manualSeed } from '@loom/tensor';
import { goldens } from '../../test/fixtures/goldens';
import { recreateFromSpec } from '../worker-spec';
import { ConcatDataset } from './concat-dataset';
import { Dataset, IterableDataset } from './dataset';
import { randomSplit } from './random-split';
import { Subset } from './subset';

/** Python's `range(n)` as a map-style dataset. */
class Range extends Dataset<number> {
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

/** A recreatable dataset, exported for recreateFromSpec. */
export class Shifted extends Range {
  constructor(n: number, readonly shift: number) {
    super(n);
  }
  override getItem(i: number): number {
    return i + this.shift;
  }
  workerSpec() {
    return { module: __filename, exportName: 'Shifted', args: [this.n, this.shift] };
  }
}

describe('Subset', () => {
  it('reads the dataset at its indices', () => {
    const s = new Subset(new Range(10), [7, 2, 2]);
    expect([0, 1, 2].map((i) => s.getItem(i))).toEqual([7, 2, 2]);
    expect(s.length).toBe(3);
    expect(s.indices.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('checks its indices', () => {
    expect(() => new Subset(new Range(3), [0, 3])).toThrow('indices[1] is 3: expected an integer in [0, 2]');
    expect(() => new Subset(new Range(3), [0]).getItem(1)).toThrow('index 1 is out of range');
  });

  it('is re-created from its spec when its dataset is', () => {
    const s = new Subset(new Shifted(10, 100), [4, 5]);
    const copy = recreateFromSpec(structuredClone(s.workerSpec())) as Subset<number>;
    expect(copy.getItem(1)).toBe(105);
    expect(() => new Subset(new Range(3), [0]).workerSpec()).toThrow("Subset.workerSpec: dataset is a Range, which cannot be re-created in a worker thread");
  });
});

describe('ConcatDataset', () => {
  const cat = new ConcatDataset([new Range(3), new Shifted(2, 10), new Range(4)]);

  it('indexes through the parts, negative indices from the end', () => {
    expect(cat.length).toBe(9);
    expect(cat.cumulativeSizes).toEqual([3, 5, 9]);
    expect(Array.from({ length: 9 }, (_, i) => cat.getItem(i))).toEqual([0, 1, 2, 10, 11, 0, 1, 2, 3]);
    expect(cat.getItem(-1)).toBe(3);
    expect(cat.getItem(-9)).toBe(0);
    expect(() => cat.getItem(-10)).toThrow('absolute value of index should not exceed dataset length');
    expect(() => cat.getItem(9)).toThrow('out of range');
  });

  it('refuses nothing and iterable datasets', () => {
    expect(() => new ConcatDataset([])).toThrow('datasets should not be an empty iterable');
    class Stream extends IterableDataset<number> {}
    expect(() => new ConcatDataset([new Stream() as unknown as Dataset<number>])).toThrow('ConcatDataset does not support IterableDataset');
  });

  it('names the part that cannot cross threads', () => {
    expect(() => cat.workerSpec()).toThrow('ConcatDataset.workerSpec: datasets[0] is a Range');
    const ok = new ConcatDataset([new Shifted(2, 0), new Shifted(2, 5)]);
    const copy = recreateFromSpec(structuredClone(ok.workerSpec())) as ConcatDataset<number>;
    expect([0, 1, 2, 3].map((i) => copy.getItem(i))).toEqual([0, 1, 5, 6]);
  });
});

describe('randomSplit (PyTorch goldens)', () => {
  for (const c of goldens.random_split) {
    it(`n=${c.n} lengths=${JSON.stringify(c.lengths)} ${c.seed !== undefined ? `manualSeed(${c.seed})` : `generator ${c.generator_seed}`}`, () => {
      let splits: Subset<number>[];
      if (c.seed !== undefined) {
        manualSeed(c.seed);
        splits = randomSplit(new Range(c.n), c.lengths);
      } else {
        splits = randomSplit(new Range(c.n), c.lengths, new Generator(c.generator_seed));
      }
      expect(splits.map((s) => Array.from(s.indices))).toEqual(c.splits);
      expect(splits.map((s) => s.getItem(0))).toEqual(c.splits.map((s: number[]) => s[0]));
    });
  }

  it('checks lengths as PyTorch', () => {
    expect(() => randomSplit(new Range(10), [3, 6])).toThrow('Sum of input lengths does not equal the length of the input dataset!');
    expect(() => randomSplit(new Range(10), [0.5, 0.6, -0.1])).toThrow('Fraction at index 2 is not between 0 and 1');
    expect(() => randomSplit(new Range(10), [2.5, 7.5])).toThrow('lengths[0] is 2.5');
  });
});

describe('IterableDataset', () => {
  it('adapts a synchronous iterator', async () => {
    class Three extends IterableDataset<number> {
      *[Symbol.iterator]() {
        yield* [1, 2, 3];
      }
    }
    const seen: number[] = [];
    for await (const v of new Three()) seen.push(v);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('says what to implement when there is no iterator', () => {
    class Empty extends IterableDataset<number> {}
    expect(() => new Empty()[Symbol.asyncIterator]()).toThrow('Empty: an IterableDataset must implement [Symbol.asyncIterator]() or [Symbol.iterator]()');
  });
});
