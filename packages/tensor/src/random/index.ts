/**
 * Random numbers bit-exact with PyTorch 1.13's CPU generator: the MT19937 engine, the
 * `Generator` with PyTorch's sampling kernels, and the default generator.
 */

// Generators
export { Generator, DEFAULT_SEED, GENERATOR_STATE_BYTES } from './generator';
export { defaultGenerator, manualSeed, initialSeed } from './default-generator';

// Engine
export { MT19937, MT19937_DEFAULT_SEED, MERSENNE_STATE_N } from './mt19937';
export type { MT19937Data } from './mt19937';

// Errors
export { RandomArgumentError, RANDOM_ARGUMENT_CODE } from './random-errors';
