import { ArgumentError, Generator, manualSeed } from '@loom/tensor';
import { goldens } from '../../test/fixtures/goldens';
import { WeightedRandomSampler } from './weighted-random-sampler';

describe('WeightedRandomSampler (PyTorch goldens)', () => {
  for (const c of goldens.weighted_random_sampler) {
    it(`${c.weights.length} weights, ${c.num_samples} samples, replacement=${c.replacement}`, () => {
      let generator: Generator | undefined;
      if (c.generator_seed !== undefined) generator = new Generator(c.generator_seed);
      else manualSeed(c.seed);
      const s = new WeightedRandomSampler(c.weights, c.num_samples, { replacement: c.replacement, generator });
      expect([...s]).toEqual(c.indices);
      expect(s.length).toBe(c.num_samples);
    });
  }

  it('never draws a zero weight', () => {
    const drawn = [...new WeightedRandomSampler([0, 1, 0, 2], 500, { generator: new Generator(9) })];
    expect(drawn.every((i) => i === 1 || i === 3)).toBe(true);
  });

  it('checks its arguments as PyTorch', () => {
    expect(() => new WeightedRandomSampler([1, 2], 0)).toThrow('numSamples should be a positive integer value, but got numSamples=0');
    expect(() => new WeightedRandomSampler([1, 2], 3, { replacement: false })).toThrow('cannot sample n_sample > prob_dist.size(-1) samples without replacement');
    expect(() => new WeightedRandomSampler([1, -1], 1)).toThrow('probability tensor contains either `inf`, `nan` or element < 0 (weights[1] is -1)');
    expect(() => new WeightedRandomSampler([1, NaN], 1)).toThrow(ArgumentError);
    expect(() => new WeightedRandomSampler([0, 0], 1)).toThrow('invalid multinomial distribution (sum of probabilities <= 0)');
    expect(() => new WeightedRandomSampler([], 1)).toThrow('weights must not be empty');
  });
});
