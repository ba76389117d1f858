import { ArgumentError, Generator, defaultGenerator } from '@loom/tensor';
import { getWorkerInfo, setWorkerInfo } from './worker-info';

describe('worker info', () => {
  afterEach(() => setWorkerInfo(null));

  it('is null in the main thread', () => {
    expect(getWorkerInfo()).toBeNull();
  });

  it('holds what the worker set, frozen, and seeds the default generator as torch.manual_seed', () => {
    const dataset = { length: 3 };
    setWorkerInfo({ id: 1, numWorkers: 2, seed: 1234n, dataset });
    const info = getWorkerInfo()!;
    expect(info).toEqual({ id: 1, numWorkers: 2, seed: 1234n, dataset });
    expect(Object.isFrozen(info)).toBe(true);
    expect(defaultGenerator.initialSeed()).toBe(1234n);
    expect(Array.from(defaultGenerator.uniform(3))).toEqual(Array.from(new Generator(1234n).uniform(3)));
  });

  it('checks ids and seeds', () => {
    expect(() => setWorkerInfo({ id: 2, numWorkers: 2, seed: 0n, dataset: null })).toThrow('id must be an integer in [0, 1], got 2');
    expect(() => setWorkerInfo({ id: 0, numWorkers: 0, seed: 0n, dataset: null })).toThrow(ArgumentError);
    expect(() => setWorkerInfo({ id: 0, numWorkers: 1, seed: 5 as unknown as bigint, dataset: null })).toThrow('seed must be a bigint');
  });
});
