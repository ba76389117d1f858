import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MERSENNE_STATE_N, MT19937, MT19937_DEFAULT_SEED } from './mt19937';
import { RandomArgumentError } from './random-errors';

/** Made by tools/goldens/make_random_goldens.py from PyTorch 1.13. */
const FIXTURE_PATH = join(__dirname, '../../../../tools/goldens/fixtures/random.json');

interface SeedGolden {
  seed: string;
  state_after_seed: string;
  words: number[];
}

const fixture = JSON.parse(readFileSync(FIXTURE_PATH, 'utf8')) as {
  mt19937_5489_10000th: number;
  seeds: SeedGolden[];
};

/** The 624 state words of a `torch.get_rng_state()`, stored there as uint64 from byte 24. */
function stateWords(base64: string): Uint32Array {
  const bytes = Buffer.from(base64, 'base64');
  const words = new Uint32Array(MERSENNE_STATE_N);
  for (let k = 0; k < MERSENNE_STATE_N; k++) words[k] = bytes.readUInt32LE(24 + 8 * k);
  return words;
}

describe('MT19937', () => {
  it('is the standard MT19937: the 10000th output for seed 5489 is 4123659995', () => {
    // The value the C++ standard requires of std::mt19937 ([rand.predef]).
    const mt = new MT19937(MT19937_DEFAULT_SEED);
    let last = 0;
    for (let i = 0; i < 10000; i++) last = mt.nextUint32();
    expect(last).toBe(4123659995);
    expect(last).toBe(fixture.mt19937_5489_10000th);
  });

  describe.each(fixture.seeds)('seed $seed', (golden) => {
    it('seeds the state words as PyTorch does', () => {
      const mt = new MT19937(BigInt(golden.seed));
      expect(mt.getData().state).toEqual(stateWords(golden.state_after_seed));
      expect(mt.seed).toBe(BigInt(golden.seed));
    });

    it("gives PyTorch's first outputs", () => {
      const mt = new MT19937(BigInt(golden.seed));
      expect(golden.words.map(() => mt.nextUint32())).toEqual(golden.words);
    });
  });

  it('uses only the low 32 bits of the seed but remembers all 64', () => {
    const a = new MT19937(5n);
    const b = new MT19937((1n << 40n) + 5n);
    expect(b.seed).toBe((1n << 40n) + 5n);
    for (let i = 0; i < 10; i++) expect(b.nextUint32()).toBe(a.nextUint32());
  });

  it('returns unsigned 32-bit integers', () => {
    const mt = new MT19937(1n);
    const outputs = Array.from({ length: 2000 }, () => mt.nextUint32());
    expect(outputs.filter((v) => !Number.isInteger(v) || v < 0 || v >= 2 ** 32)).toEqual([]);
    expect(Math.max(...outputs)).toBeGreaterThan(2 ** 31); // the top bit is not lost to int32
  });

  it('replays the same outputs after setData(getData()), across a twist', () => {
    const mt = new MT19937(123n);
    for (let i = 0; i < 600; i++) mt.nextUint32();
    const saved = mt.getData();
    const first = Array.from({ length: 100 }, () => mt.nextUint32());
    const other = new MT19937();
    other.setData(saved);
    expect(Array.from({ length: 100 }, () => other.nextUint32())).toEqual(first);
    mt.setData(saved);
    expect(Array.from({ length: 100 }, () => mt.nextUint32())).toEqual(first);
  });

  it('gives a copy from getData, not its live state', () => {
    const mt = new MT19937(7n);
    const saved = mt.getData();
    saved.state.fill(0);
    expect(mt.getData().state).not.toEqual(saved.state);
  });

  it('rejects an invalid state and keeps its own', () => {
    const mt = new MT19937(9n);
    const good = mt.getData();
    const bad = [
      { ...good, left: 0 },
      { ...good, left: MERSENNE_STATE_N + 1 },
      { ...good, next: MERSENNE_STATE_N + 1 },
      { ...good, next: 1.5 },
      { ...good, state: new Uint32Array(10) },
      { ...good, seed: -1n },
    ];
    for (const data of bad) expect(() => mt.setData(data)).toThrow(RandomArgumentError);
    expect(() => mt.setData({ ...good, left: 0 })).toThrow('MT19937.setData: expected left to be an integer in [1, 624], got 0');
    expect(mt.getData()).toEqual(good);
  });

  it('rejects seeds outside [0, 2^64)', () => {
    expect(() => new MT19937(-1n)).toThrow(RandomArgumentError);
    expect(() => new MT19937(1n << 64n)).toThrow('MT19937.reseed: expected seed to be an integer in [0, 2^64), got 18446744073709551616n');
  });
});
