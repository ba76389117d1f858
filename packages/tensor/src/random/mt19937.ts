/**
 * The Mersenne Twister MT19937, exactly as PyTorch 1.13 runs it on the CPU
 * (`aten/src/ATen/core/MT19937RNGEngine.h`): seeded from the low 32 bits of a 64-bit
 * seed with Knuth's `init_genrand`, state regenerated lazily when the 624 words are
 * used up, and the `left`/`next` counters kept the way PyTorch keeps them so that a
 * state saved by `torch.get_rng_state()` can be loaded here and the other way round.
 *
 * Everything is 32-bit integer arithmetic on a `Uint32Array` (`Math.imul`, `>>>`), so
 * V8 keeps it in machine integers: no bigint or float on the hot path.
 */
import { RandomArgumentError } from './random-errors';

/** Words of state (Matsumoto & Nishimura 1998, parameter n). */
export const MERSENNE_STATE_N = 624;
/** Middle word offset of the recurrence (parameter m). */
const MERSENNE_STATE_M = 397;
/** Twist matrix coefficients (parameter a). */
const MATRIX_A = 0x9908b0df;
/** Upper bit of a word, taken from the first word of a twisted pair. */
const UPPER_MASK = 0x80000000;
/** Lower 31 bits of a word, taken from the second word of a twisted pair. */
const LOWER_MASK = 0x7fffffff;
/** Multiplier of the seeding recurrence (Knuth, TAOCP vol. 2, as in `init_genrand`). */
const INIT_MULTIPLIER = 1812433253;
/** Tempering masks b and c of MT19937. */
const TEMPERING_MASK_B = 0x9d2c5680;
const TEMPERING_MASK_C = 0xefc60000;
/** The seed `std::mt19937` and `at::mt19937` use when none is given. */
export const MT19937_DEFAULT_SEED = 5489n;
const UINT32_MASK = 0xffffffffn;
const UINT64_MAX = (1n << 64n) - 1n;

/**
 * The engine's full state, laid out as PyTorch's `mt19937_data_pod`: the 64-bit seed
 * it was created from, how many outputs are `left` before the next twist (1 to 624),
 * the index of the `next` word to temper, and the 624 state words.
 */
export interface MT19937Data {
  seed: bigint;
  left: number;
  next: number;
  state: Uint32Array;
}

/**
 * A 32-bit Mersenne Twister seeded the way PyTorch seeds it from a 64-bit seed.
 *
 * @example
 * ```ts
 * const mt = new MT19937(5489n);
 * mt.nextUint32(); // 3499211612, as std::mt19937's first output
 * ```
 */
export class MT19937 {
  private readonly state = new Uint32Array(MERSENNE_STATE_N);
  private left = 1;
  private next = 0;
  private seedValue = MT19937_DEFAULT_SEED;

  /** Seeds the engine; `seed` is an unsigned 64-bit integer of which the low 32 bits count. */
  constructor(seed: bigint = MT19937_DEFAULT_SEED) {
    this.reseed(seed);
  }

  /** The 64-bit seed the engine was last seeded with (PyTorch keeps it whole). */
  get seed(): bigint {
    return this.seedValue;
  }

  /**
   * Re-seeds the engine as PyTorch's `init_with_uint32`: only the low 32 bits of the
   * 64-bit seed enter the state, the whole seed is remembered for `seed`.
   *
   * @example
   * ```ts
   * mt.reseed(42n);
   * ```
   */
  reseed(seed: bigint): void {
    if (seed < 0n || seed > UINT64_MAX) {
      throw new RandomArgumentError('MT19937.reseed', 'seed', seed, 'an integer in [0, 2^64)');
    }
    const state = this.state;
    this.seedValue = seed;
    state[0] = Number(seed & UINT32_MASK);
    for (let j = 1; j < MERSENNE_STATE_N; j++) {
      const prev = state[j - 1];
      state[j] = Math.imul(INIT_MULTIPLIER, prev ^ (prev >>> 30)) + j;
    }
    // left = 1 makes the first call twist the freshly seeded words, as PyTorch does.
    this.left = 1;
    this.next = 0;
  }

  /**
   * The next tempered 32-bit output, an integer in [0, 2^32).
   *
   * @example
   * ```ts
   * const word = mt.nextUint32();
   * ```
   */
  nextUint32(): number {
    if (--this.left === 0) this.twist();
    let y = this.state[this.next++];
    y ^= y >>> 11;
    y ^= (y << 7) & TEMPERING_MASK_B;
    y ^= (y << 15) & TEMPERING_MASK_C;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /**
   * A copy of the engine's state, for saving.
   *
   * @example
   * ```ts
   * const saved = mt.getData();
   * mt.nextUint32();
   * mt.setData(saved); // the same output comes again
   * ```
   */
  getData(): MT19937Data {
    return { seed: this.seedValue, left: this.left, next: this.next, state: this.state.slice() };
  }

  /**
   * Restores a state from {@link getData} (or decoded from PyTorch's), after the
   * checks of PyTorch's `mt19937_engine::is_valid`.
   *
   * @example
   * ```ts
   * other.setData(mt.getData());
   * ```
   */
  setData(data: MT19937Data): void {
    const where = 'MT19937.setData';
    if (data.state.length !== MERSENNE_STATE_N) {
      throw new RandomArgumentError(where, 'state.length', data.state.length, `${MERSENNE_STATE_N} words`);
    }
    if (!Number.isInteger(data.left) || data.left < 1 || data.left > MERSENNE_STATE_N) {
      throw new RandomArgumentError(where, 'left', data.left, `an integer in [1, ${MERSENNE_STATE_N}]`);
    }
    if (!Number.isInteger(data.next) || data.next < 0 || data.next > MERSENNE_STATE_N) {
      throw new RandomArgumentError(where, 'next', data.next, `an integer in [0, ${MERSENNE_STATE_N}]`);
    }
    if (data.seed < 0n || data.seed > UINT64_MAX) {
      throw new RandomArgumentError(where, 'seed', data.seed, 'an integer in [0, 2^64)');
    }
    this.state.set(data.state);
    this.left = data.left;
    this.next = data.next;
    this.seedValue = data.seed;
  }

  /**
   * Regenerates all 624 words (the "twist"), in the three loops of PyTorch's
   * `next_state` (Cokus's formulation, which avoids a modulo per word).
   */
  private twist(): void {
    const s = this.state;
    const n = MERSENNE_STATE_N;
    const m = MERSENNE_STATE_M;
    this.left = n;
    this.next = 0;
    let k = 0;
    for (; k < n - m; k++) {
      const y = (s[k] & UPPER_MASK) | (s[k + 1] & LOWER_MASK);
      s[k] = s[k + m] ^ (y >>> 1) ^ (s[k + 1] & 1 ? MATRIX_A : 0);
    }
    for (; k < n - 1; k++) {
      const y = (s[k] & UPPER_MASK) | (s[k + 1] & LOWER_MASK);
      s[k] = s[k + m - n] ^ (y >>> 1) ^ (s[k + 1] & 1 ? MATRIX_A : 0);
    }
    const y = (s[n - 1] & UPPER_MASK) | (s[0] & LOWER_MASK);
    s[n - 1] = s[m - 1] ^ (y >>> 1) ^ (s[0] & 1 ? MATRIX_A : 0);
  }
}
