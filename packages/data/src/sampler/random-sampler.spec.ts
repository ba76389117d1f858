import { ArgumentError, Generator, manualSeed } from '@loom/tensor';
import { goldens, range } from '../../test/fixtures/goldens';
import { RandomSampler } from './random-sampler';
import { SequentialSampler } from './sequential-sampler';
import { SubsetRandomSampler } from './subset-random-sampler';

describe('SequentialSampler', () => {
  it('yields 0..n-1 and has length n', () => {
    const s = new SequentialSampler(range(4));
    expect([...s]).toEqual([0, 1, 2, 3]);
    expect(s.length).toBe(4);
  });
});

describe('RandomSampler (PyTorch goldens)', () => {
  for (const c of goldens.random_sampler) {
    const name = `n=${c.n} seed=${c.seed ?? `g${c.generator_seed}`} replacement=${!!c.replacement} numSamples=${c.num_samples ?? '-'}`;
    it(name, () => {
      let generator: Generator | undefined;
      if (c.generator_seed !== undefined) generator = new Generator(c.generator_seed);
      else manualSeed(c.seed);
      const sampler = new RandomSampler(range(c.n), { replacement: c.replacement ?? false, numSamples: c.num_samples, generator });
      for (const epoch of c.epochs) expect([...sampler]).toEqual(epoch);
      expect(sampler.length).toBe(c.num_samples ?? c.n);
    });
  }

  it('draws its seed when iteration starts, as a Python generator does', () => {
    manualSeed(0);
    const it = new RandomSampler(range(10))[Symbol.iterator]();
    manualSeed(0); // the sampler has not drawn yet
    expect(it.next().value).toBe(goldens.random_sampler[1].epochs[0][0]);
  });

  it('checks its arguments with PyTorch messages', () => {
    expect(() => new RandomSampler(range(0))).toThrow('numSamples should be a positive integer value, but got numSamples=0');
    expect(() => new RandomSampler(range(3), { numSamples: 1.5 })).toThrow(ArgumentError);
    expect(() => new RandomSampler(range(3), { replacement: 1 as unknown as boolean })).toThrow('replacement should be a boolean value, but got replacement=1');
    expect(() => [...new RandomSampler(range(0), { numSamples: 3 })]).toThrow('cannot sample from an empty data source');
  });
});

describe('SubsetRandomSampler (PyTorch goldens)', () => {
  const c = goldens.subset_random_sampler;
  it('permutes the indices with the default generator', () => {
    manualSeed(c.seed);
    const s = new SubsetRandomSampler(c.indices);
    expect([...s]).toEqual(c.epochs[0]);
    expect([...s]).toEqual(c.epochs[1]);
    expect(s.length).toBe(c.indices.length);
  });

  it('permutes with a given generator', () => {
    expect([...new SubsetRandomSampler(c.indices, { generator: new Generator(c.generator_seed) })]).toEqual(c.with_generator);
  });
});
