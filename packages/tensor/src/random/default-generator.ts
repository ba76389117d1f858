/**
 * The process-wide generator that every random op uses when it is not given one, as
 * PyTorch's `torch.default_generator`, and the `torch.manual_seed` / `torch.initial_seed`
 * functions over it.
 */
import { Generator } from './generator';

/**
 * The generator random ops use by default. It starts from PyTorch's fixed default seed
 * (67280421310721), not from the clock, so an unseeded program repeats itself; call
 * {@link manualSeed} (or `defaultGenerator.seed()` for a fresh one) to choose.
 *
 * @example
 * ```ts
 * defaultGenerator.uniform(2); // what rand(2) would draw
 * ```
 */
export const defaultGenerator = new Generator();

/**
 * Seeds the default generator and returns it, as `torch.manual_seed`: afterwards
 * `rand`, `randn`, `randperm` and the initialisers give PyTorch's numbers for the
 * same seed.
 *
 * @example
 * ```ts
 * manualSeed(0);
 * randn([2]); // [1.5410, -0.2934], as torch.randn(2) after torch.manual_seed(0)
 * ```
 */
export function manualSeed(seed: number | bigint): Generator {
  return defaultGenerator.manualSeed(seed);
}

/**
 * The seed the default generator was last seeded with, as `torch.initial_seed`.
 *
 * @example
 * ```ts
 * manualSeed(7);
 * initialSeed(); // 7n
 * ```
 */
export function initialSeed(): bigint {
  return defaultGenerator.initialSeed();
}
