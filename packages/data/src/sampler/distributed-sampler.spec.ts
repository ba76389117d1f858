import { ArgumentError } from '@loom/tensor';
import { goldens, range } from '../../test/fixtures/goldens';
import { DistributedSampler, type DistributedSamplerOptions } from './distributed-sampler';

describe('DistributedSampler (PyTorch goldens)', () => {
  for (const c of goldens.distributed_sampler) {
    it(`n=${c.n} replicas=${c.num_replicas} dropLast=${c.drop_last} shuffle=${c.shuffle} seed=${c.seed} epoch=${c.epoch}`, () => {
      c.ranks.forEach((expected: number[], rank: number) => {
        const s = new DistributedSampler(range(c.n), { numReplicas: c.num_replicas, rank, shuffle: c.shuffle, seed: c.seed, dropLast: c.drop_last });
        s.setEpoch(c.epoch);
        expect(s.epoch).toBe(c.epoch);
        expect([...s]).toEqual(expected);
        expect(s.length).toBe(c.num_samples);
      });
    });
  }

  it('gives every rank a disjoint share that covers the data set', () => {
    const seen = [0, 1, 2].flatMap((rank) => [...new DistributedSampler(range(12), { numReplicas: 3, rank })]);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('checks its arguments as PyTorch', () => {
    expect(() => new DistributedSampler(range(5), { numReplicas: 2, rank: 2 })).toThrow('Invalid rank 2, rank should be in the interval [0, 1]');
    expect(() => new DistributedSampler(range(5), { numReplicas: 2, rank: -1 })).toThrow('Invalid rank -1');
    expect(() => new DistributedSampler(range(5), { rank: 0 } as DistributedSamplerOptions)).toThrow('numReplicas is required');
    expect(() => new DistributedSampler(range(5), { numReplicas: 0, rank: 0 })).toThrow(ArgumentError);
    expect(() => new DistributedSampler(range(5), { numReplicas: 2, rank: 0 }).setEpoch(0.5)).toThrow('epoch should be an integer');
  });
});
