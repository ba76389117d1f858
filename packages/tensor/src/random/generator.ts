/**
 * `Generator`: PyTorch 1.13's CPU random-number generator (`CPUGeneratorImpl`), with
 * the CPU kernels of `rand`, `uniform_`, `randn`, `normal_`, `randint`, `randperm`,
 * `bernoulli_` and `random_` reproduced bit for bit on float32 outputs, so that
 * `manualSeed(0)` gives PyTorch's initial weights, dropout masks and shuffles.
 *
 * NOTE [PyTorch's CPU kernels are compiled per CPU capability]
 * ATen compiles `native/cpu/*.cpp` once per capability (DEFAULT, AVX2, AVX512) with
 * that capability's flags and picks one at run time; GCC contracts `a * b + c` into a
 * fused multiply-add wherever `-mfma` is on. So PyTorch's float outputs depend in the
 * last bit on the capability it runs. Loom reproduces the AVX2 kernels: what Debian's
 * PyTorch 1.13 runs on any x86-64 CPU with AVX2 (it ships no AVX512 kernels), and
 * what the fixture `tools/goldens/fixtures/random.json` records. In those kernels:
 *
 *   uniform(low, high):  x * (high - low) + low      one fused multiply-add
 *   normal(n >= 16):     Box-Muller on 16 floats at a time with avx_mathfun.h's
 *                        Cephes log/sincos, with the contractions GCC makes there
 *   normal(n < 16):      double Box-Muller, `value * std + mean` fused
 *
 * With ATEN_CPU_CAPABILITY=default, PyTorch rounds these unfused and, for n >= 16,
 * uses libm's float log/sin/cos; AVX512 kernels (built by other distributions) take
 * that float path too. Those differ from Loom in the last bit or two of a float
 * (randn: up to 2e-6 absolute, measured), so they are close but not bitwise equal.
 * Integer outputs (randint, randperm, bernoulli, random_) are the same everywhere.
 */
import { NORMAL_BLOCK, boxMullerBlock, fma, fmaf } from './avx2-float-math';
import { getRandomValues } from 'node:crypto';
import { MERSENNE_STATE_N, MT19937 } from './mt19937';
import { RandomArgumentError } from './random-errors';

/** The seed of a generator nobody seeded: PyTorch's `default_rng_seed_val`. */
export const DEFAULT_SEED = 67280421310721n;

const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX_MASK = (1n << 63n) - 1n;
const TWO_POW_32 = 2 ** 32;
/** float32 has 24 significand bits: PyTorch keeps the low 24 bits of a word for a float. */
const FLOAT_MANTISSA_MASK = 0xffffff;
const FLOAT_UNIT = 2 ** -24;
/** double has 53: the low 21 bits of the first word and all 32 of the second. */
const DOUBLE_HIGH_MASK = 0x1fffff;
const DOUBLE_UNIT = 2 ** -53;

// Byte layout of PyTorch's `CPUGeneratorImplState` (CPUGeneratorImpl.cpp, x86-64,
// little-endian, unchanged from PyTorch 1.5 to 2.x), which `getState` writes so that
// `torch.set_rng_state(torch.ByteTensor(list(bytes)))` accepts it, and back.
const STATE_SEED = 0; // uint64 the_initial_seed
const STATE_LEFT = 8; // int32 left
const STATE_SEEDED = 12; // int32 seeded
const STATE_NEXT = 16; // uint64 next
const STATE_WORDS = 24; // uint64 state[624]
const STATE_NORMAL_Y = STATE_WORDS + 8 * MERSENNE_STATE_N + 8; // double, after normal_x
const STATE_NORMAL_VALID = STATE_NORMAL_Y + 16; // int32, after normal_rho
const STATE_FLOAT_NORMAL = STATE_NORMAL_VALID + 8; // float, after 4 bytes of padding
const STATE_FLOAT_NORMAL_VALID = STATE_FLOAT_NORMAL + 4; // bool
/** `sizeof(CPUGeneratorImplState)`: 5053 bytes of fields padded to 8. */
export const GENERATOR_STATE_BYTES = 5056;
/** `sizeof(CPUGeneratorImplStateLegacy)`: the state of PyTorch before 1.5. */
const LEGACY_STATE_BYTES = 5048;

/**
 * A source of random numbers that reproduces `torch.Generator()` on the CPU.
 *
 * @example
 * ```ts
 * const g = new Generator(0);
 * g.uniform(3); // Float32Array [0.4963, 0.7682, 0.0885], as torch.rand(3) after torch.manual_seed(0)
 * g.normal(2);
 * ```
 */
export class Generator {
  private readonly engine = new MT19937();
  /** Second sample of the last double Box-Muller pair (`next_double_normal_sample_`). */
  private nextDoubleNormal: number | undefined;
  /** PyTorch's float cache: no CPU kernel fills it, but saved states may carry it. */
  private nextFloatNormal: number | undefined;

  /** A generator seeded with `seed`, PyTorch's default seed if omitted. */
  constructor(seed: number | bigint = DEFAULT_SEED) {
    this.manualSeed(seed);
  }

  /**
   * Seeds the generator as `torch.Generator.manual_seed`: any integer in
   * [-2^63, 2^64), negative seeds taken as their two's complement.
   *
   * @example
   * ```ts
   * g.manualSeed(42).uniform(2);
   * ```
   */
  manualSeed(seed: number | bigint): this {
    this.engine.reseed(toSeed('Generator.manualSeed', seed));
    this.nextDoubleNormal = undefined;
    this.nextFloatNormal = undefined;
    return this;
  }

  /**
   * The seed last set, as an unsigned 64-bit integer (`torch.Generator.initial_seed`).
   *
   * @example
   * ```ts
   * new Generator(-1).initialSeed(); // 18446744073709551615n
   * ```
   */
  initialSeed(): bigint {
    return this.engine.seed;
  }

  /**
   * Seeds the generator with 64 bits from the operating system and returns the seed,
   * as `torch.Generator.seed`.
   *
   * @example
   * ```ts
   * const s = g.seed(); // later: g.manualSeed(s) replays the same numbers
   * ```
   */
  seed(): bigint {
    const words = getRandomValues(new Uint32Array(2));
    const seed = (BigInt(words[0]) << 32n) | BigInt(words[1]);
    this.manualSeed(seed);
    return seed;
  }

  /**
   * The next 32 random bits, an integer in [0, 2^32) (`CPUGeneratorImpl::random`).
   *
   * @example
   * ```ts
   * g.nextUint32(); // 2357136044 after manualSeed(0)
   * ```
   */
  nextUint32(): number {
    return this.engine.nextUint32();
  }

  /**
   * The next 64 random bits (`CPUGeneratorImpl::random64`): two words, the first high.
   *
   * @example
   * ```ts
   * g.nextUint64(); // 10123822223749065263n after manualSeed(0)
   * ```
   */
  nextUint64(): bigint {
    const high = this.engine.nextUint32();
    const low = this.engine.nextUint32();
    return (BigInt(high) << 32n) | BigInt(low);
  }

  /**
   * The generator's state in PyTorch's byte layout: the bytes of
   * `torch.get_rng_state()` (5056 of them), cached normal sample included.
   *
   * @example
   * ```ts
   * const saved = g.getState();
   * const a = g.normal(5);
   * g.setState(saved);
   * g.normal(5); // equal to a
   * ```
   */
  getState(): Uint8Array {
    const bytes = new Uint8Array(GENERATOR_STATE_BYTES);
    const view = new DataView(bytes.buffer);
    const data = this.engine.getData();
    view.setBigUint64(STATE_SEED, data.seed, true);
    view.setInt32(STATE_LEFT, data.left, true);
    view.setInt32(STATE_SEEDED, 1, true);
    view.setUint32(STATE_NEXT, data.next, true);
    for (let k = 0; k < MERSENNE_STATE_N; k++) view.setUint32(STATE_WORDS + 8 * k, data.state[k], true);
    if (this.nextDoubleNormal !== undefined) {
      view.setFloat64(STATE_NORMAL_Y, this.nextDoubleNormal, true);
      view.setInt32(STATE_NORMAL_VALID, 1, true);
    }
    if (this.nextFloatNormal !== undefined) {
      view.setFloat32(STATE_FLOAT_NORMAL, this.nextFloatNormal, true);
      view.setUint8(STATE_FLOAT_NORMAL_VALID, 1);
    }
    return bytes;
  }

  /**
   * Restores a state from {@link getState} or from `torch.get_rng_state()`
   * (`bytes(torch.get_rng_state().tolist())` in Python).
   *
   * @example
   * ```ts
   * other.setState(g.getState()); // other now continues g's sequence
   * ```
   */
  setState(state: Uint8Array): this {
    const where = 'Generator.setState';
    if (!(state instanceof Uint8Array)) {
      throw new RandomArgumentError(where, 'state', state, 'a Uint8Array from getState()');
    }
    if (state.length === LEGACY_STATE_BYTES) {
      throw new RandomArgumentError(
        where,
        'state',
        state,
        `a PyTorch >= 1.5 state of ${GENERATOR_STATE_BYTES} bytes, not the ${LEGACY_STATE_BYTES}-byte state of PyTorch < 1.5`,
        'load it in PyTorch >= 1.5 with torch.set_rng_state and save torch.get_rng_state() again',
      );
    }
    if (state.length !== GENERATOR_STATE_BYTES) {
      throw new RandomArgumentError(where, 'state', state, `${GENERATOR_STATE_BYTES} bytes (PyTorch's CPUGeneratorImplState)`);
    }
    const view = new DataView(state.buffer, state.byteOffset, state.byteLength);
    const flag = (name: string, value: number): boolean => {
      if (value !== 0 && value !== 1) throw new RandomArgumentError(where, name, value, '0 or 1');
      return value === 1;
    };
    const word = (offset: number, name: string): number => {
      const high = view.getUint32(offset + 4, true);
      if (high !== 0) throw new RandomArgumentError(where, name, view.getBigUint64(offset, true), 'below 2^32');
      return view.getUint32(offset, true);
    };
    if (!flag('seeded', view.getInt32(STATE_SEEDED, true))) {
      throw new RandomArgumentError(where, 'seeded', 0, '1 (a seeded engine)');
    }
    const words = new Uint32Array(MERSENNE_STATE_N);
    for (let k = 0; k < MERSENNE_STATE_N; k++) words[k] = word(STATE_WORDS + 8 * k, `state[${k}]`);
    const doubleValid = flag('normal_is_valid', view.getInt32(STATE_NORMAL_VALID, true));
    const floatValid = flag('is_next_float_normal_sample_valid', view.getUint8(STATE_FLOAT_NORMAL_VALID));
    // Everything is checked before anything changes (the engine checks left and next
    // first too), so a rejected state leaves the generator as it was.
    this.engine.setData({
      seed: view.getBigUint64(STATE_SEED, true),
      left: view.getInt32(STATE_LEFT, true),
      next: word(STATE_NEXT, 'next'),
      state: words,
    });
    this.nextDoubleNormal = doubleValid ? view.getFloat64(STATE_NORMAL_Y, true) : undefined;
    this.nextFloatNormal = floatValid ? view.getFloat32(STATE_FLOAT_NORMAL, true) : undefined;
    return this;
  }

  /**
   * `n` floats uniform on [low, high): `torch.empty(n).uniform_(low, high, generator=g)`,
   * and `torch.rand(n, generator=g)` with the default bounds.
   *
   * @example
   * ```ts
   * new Generator(0).uniform(3); // [0.49625659, 0.76822180, 0.08847743]
   * ```
   */
  uniform(n: number, low = 0, high = 1): Float32Array {
    const where = 'Generator.uniform';
    checkCount(where, n);
    checkFinite(where, 'low', low);
    checkFinite(where, 'high', high);
    if (!(low <= high)) throw new RandomArgumentError(where, 'high', high, `>= low (${low})`);
    const from = Math.fround(low);
    const range = Math.fround(Math.fround(high) - from);
    if (!Number.isFinite(range)) {
      throw new RandomArgumentError(where, 'high - low', high - low, 'at most the largest float32 (3.4e38)');
    }
    const out = new Float32Array(n);
    const engine = this.engine;
    if (from === 0 && range === 1) {
      for (let i = 0; i < n; i++) out[i] = (engine.nextUint32() & FLOAT_MANTISSA_MASK) * FLOAT_UNIT;
    } else {
      for (let i = 0; i < n; i++) out[i] = fmaf((engine.nextUint32() & FLOAT_MANTISSA_MASK) * FLOAT_UNIT, range, from);
    }
    return out;
  }

  /**
   * `n` floats from N(mean, std²): `torch.randn(n, generator=g)` and
   * `torch.empty(n).normal_(mean, std, generator=g)`. PyTorch uses two algorithms
   * (and so does this): for n >= 16 a float Box-Muller over blocks of 16 uniforms,
   * recomputing the last 16 with fresh uniforms when n is not a multiple of 16; below
   * 16 a double Box-Muller that caches its second sample for the next call.
   *
   * @example
   * ```ts
   * new Generator(0).normal(4); // [1.5410, -0.2934, -2.1788, 0.5684]
   * ```
   */
  normal(n: number, mean = 0, std = 1): Float32Array {
    const where = 'Generator.normal';
    checkCount(where, n);
    checkFinite(where, 'mean', mean);
    checkFinite(where, 'std', std);
    if (std < 0) throw new RandomArgumentError(where, 'std', std, '>= 0');
    return n >= NORMAL_BLOCK ? this.normalBlocks(n, Math.fround(mean), Math.fround(std)) : this.normalPairs(n, mean, std);
  }

  /**
   * `n` integers uniform on [low, high): `torch.randint(low, high, (n,), generator=g)`
   * (int64 in PyTorch, int32 here, so both bounds must lie in int32's range).
   *
   * @example
   * ```ts
   * new Generator(0).randint(5, 0, 10); // Int32Array [4, 9, 3, 0, 3]
   * ```
   */
  randint(n: number, low: number, high: number): Int32Array {
    const where = 'Generator.randint';
    checkCount(where, n);
    checkInteger(where, 'low', low, -TWO_POW_32 / 2, TWO_POW_32 / 2 - 1);
    checkInteger(where, 'high', high, -TWO_POW_32 / 2 + 1, TWO_POW_32 / 2);
    if (!(low < high)) throw new RandomArgumentError(where, 'high', high, `greater than low (${low})`);
    const range = high - low;
    const out = new Int32Array(n);
    const engine = this.engine;
    if (range < TWO_POW_32) {
      for (let i = 0; i < n; i++) out[i] = (engine.nextUint32() % range) + low;
    } else {
      // PyTorch takes 64 bits for a range of 2^32 or more; modulo 2^32 keeps the second word.
      for (let i = 0; i < n; i++) {
        engine.nextUint32();
        out[i] = engine.nextUint32() + low;
      }
    }
    return out;
  }

  /**
   * A random permutation of 0..n-1: `torch.randperm(n, generator=g)` (PyTorch's
   * Fisher-Yates from the front, one 32-bit draw per position but the last).
   *
   * @example
   * ```ts
   * new Generator(0).randperm(5); // Int32Array [4, 0, 1, 3, 2]
   * ```
   */
  randperm(n: number): Int32Array {
    const where = 'Generator.randperm';
    checkCount(where, n);
    if (n > TWO_POW_32 / 2) throw new RandomArgumentError(where, 'n', n, `at most 2^31 (int32 values)`);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    const engine = this.engine;
    for (let i = 0; i < n - 1; i++) {
      const z = i + (engine.nextUint32() % (n - i));
      const saved = out[i];
      out[i] = out[z];
      out[z] = saved;
    }
    return out;
  }

  /**
   * `n` draws of 1 with probability `p`, else 0: `torch.empty(n).bernoulli_(p, generator=g)`,
   * the mask behind `F.dropout(x, q)` (which draws with p = 1 - q). Without MKL, as in
   * Debian's build, PyTorch compares one 53-bit double uniform per element with `p`.
   *
   * @example
   * ```ts
   * new Generator(0).bernoulli(4, 0.5); // Uint8Array [0, 0, 1, 0]
   * ```
   */
  bernoulli(n: number, p: number): Uint8Array {
    const where = 'Generator.bernoulli';
    checkCount(where, n);
    if (!(p >= 0 && p <= 1)) throw new RandomArgumentError(where, 'p', p, 'a probability in [0, 1]');
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.nextDouble() < p ? 1 : 0;
    return out;
  }

  /**
   * A non-negative 63-bit integer: `torch.empty((), dtype=torch.int64).random_(generator=g).item()`,
   * which `RandomSampler` and `DataLoader` draw to seed their own generators.
   *
   * @example
   * ```ts
   * const shuffle = new Generator(g.randomInt64()).randperm(10); // RandomSampler's order
   * ```
   */
  randomInt64(): bigint {
    return this.nextUint64() & INT64_MAX_MASK;
  }

  /** A double uniform on [0, 1) from 53 of 64 bits (`uniform_real_distribution<double>`). */
  private nextDouble(): number {
    const high = this.engine.nextUint32() & DOUBLE_HIGH_MASK;
    const low = this.engine.nextUint32();
    return (high * TWO_POW_32 + low) * DOUBLE_UNIT;
  }

  /** `normal_fill_AVX2`: all uniforms first, then Box-Muller in place, block by block. */
  private normalBlocks(n: number, mean: number, std: number): Float32Array {
    const out = new Float32Array(n);
    const engine = this.engine;
    for (let i = 0; i < n; i++) out[i] = (engine.nextUint32() & FLOAT_MANTISSA_MASK) * FLOAT_UNIT;
    for (let i = 0; i + NORMAL_BLOCK <= n; i += NORMAL_BLOCK) boxMullerBlock(out, i, mean, std);
    if (n % NORMAL_BLOCK !== 0) {
      const start = n - NORMAL_BLOCK;
      for (let i = start; i < n; i++) out[i] = (engine.nextUint32() & FLOAT_MANTISSA_MASK) * FLOAT_UNIT;
      boxMullerBlock(out, start, mean, std);
    }
    return out;
  }

  /** `normal_distribution<double>`: one pair per two samples, the second kept for later. */
  private normalPairs(n: number, mean: number, std: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let value = this.nextDoubleNormal;
      if (value === undefined) {
        const u1 = this.nextDouble();
        const u2 = this.nextDouble();
        const radius = Math.sqrt(-2 * Math.log(1 - u2));
        const theta = 2 * Math.PI * u1;
        this.nextDoubleNormal = radius * Math.sin(theta);
        value = radius * Math.cos(theta);
      } else {
        this.nextDoubleNormal = undefined;
      }
      out[i] = fma(value, std, mean);
    }
    return out;
  }
}

/** Converts a seed as PyTorch's `manual_seed` does: [-2^63, 2^64), negatives wrapped. */
function toSeed(where: string, seed: number | bigint): bigint {
  const expected = 'an integer in [-2^63, 2^64) (a number must also be a safe integer)';
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed)) throw new RandomArgumentError(where, 'seed', seed, expected);
    seed = BigInt(seed);
  } else if (typeof seed !== 'bigint') {
    throw new RandomArgumentError(where, 'seed', seed, expected);
  }
  if (seed < INT64_MIN || seed > UINT64_MAX) throw new RandomArgumentError(where, 'seed', seed, expected);
  return BigInt.asUintN(64, seed);
}

function checkCount(where: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RandomArgumentError(where, 'n', n, 'a non-negative integer');
}

function checkFinite(where: string, name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RandomArgumentError(where, name, value, 'a finite number');
  }
}

function checkInteger(where: string, name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RandomArgumentError(where, name, value, `an integer in [${min}, ${max}]`);
  }
}
