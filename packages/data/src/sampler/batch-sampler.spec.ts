import { Generator } from '@loom/tensor';
import { goldens, range } from '../../test/fixtures/goldens';
import { BatchSampler } from './batch-sampler';
import { RandomSampler } from './random-sampler';
import { SequentialSampler } from './sequential-sampler';

describe('BatchSampler (PyTorch goldens)', () => {
  for (const c of goldens.batch_sampler) {
    it(`n=${c.n} batchSize=${c.batch_size} dropLast=${c.drop_last}${c.random_generator_seed !== undefined ? ' over RandomSampler' : ''}`, () => {
      const inner = c.random_generator_seed !== undefined ? new RandomSampler(range(c.n), { generator: new Generator(c.random_generator_seed) }) : new SequentialSampler(range(c.n));
      const s = new BatchSampler(inner, c.batch_size, c.drop_last);
      expect([...s]).toEqual(c.batches);
      expect(s.length).toBe(c.batches.length);
    });
  }

  it('batches any iterable, and refuses a length it cannot know', () => {
    const s = new BatchSampler(new Set([5, 6, 7]), 2, false);
    expect([...s]).toEqual([[5, 6], [7]]);
    expect(() => s.length).toThrow('the sampler has no length');
  });

  it('checks its arguments with PyTorch messages', () => {
    const inner = new SequentialSampler(range(3));
    expect(() => new BatchSampler(inner, 0, false)).toThrow('batchSize should be a positive integer value, but got batchSize=0');
    expect(() => new BatchSampler(inner, 2.5, false)).toThrow('batchSize should be a positive integer value');
    expect(() => new BatchSampler(inner, 2, 'no' as unknown as boolean)).toThrow('dropLast should be a boolean value, but got dropLast=no');
  });
});
