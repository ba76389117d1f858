/**
 * `@loom/tensor`: tensors with PyTorch semantics and autograd, on TensorFlow.js
 * kernels (wasm by default, tfjs-node(-gpu) when installed, pure JS as last resort).
 *
 * @example
 * ```ts
 * import { ready, tensor, randn } from '@loom/tensor';
 * await ready();
 * const w = randn([3, 2], { requiresGrad: true });
 * const loss = tensor([[1, 2, 3]]).matmul(w).pow(2).sum();
 * loss.backward();
 * console.log(w.grad!.toArray());
 * ```
 */
import './tensor-methods';

// Core
export { Tensor, liveTensorCount } from './tensor';
export type { NestedArray, PostAccumulateGradHook, RemovableHandle } from './tensor';
export type { DType, TypedArray } from './dtype';
export { DTYPES, promoteTypes } from './dtype';

// Errors
export { LoomError, ShapeError, DTypeError, ArgumentError, TensorDisposedError, AutogradError, BackendError } from './errors';

// Backends and devices
export { ready, setBackend, backendInfo, cuda } from './backend/backend';
export type { BackendName, BackendInfo, DeviceType } from './backend/backend';

// Autograd
export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from './autograd/grad-mode';
export type { BackwardOptions } from './autograd/engine';

// Memory
export { scope, steps, stepsAsync, beginStep, beginScope, scopeDepth } from './memory/scope';
export { memoryStats } from './memory/stats';
export type { MemoryStats } from './memory/stats';

// Randomness
export { Generator, defaultGenerator, manualSeed, initialSeed } from './random';

// Creation
export {
  tensor, fromArray, zeros, ones, full, zerosLike, onesLike, fullLike, arange, linspace, eye,
  rand, randn, randint, randperm,
} from './ops/creation';
export type { CreateOptions, RandomOptions, FromArrayOptions } from './ops/creation';

// Ops
export { add, sub, mul, div, pow, maximum, minimum } from './ops/arithmetic';
export { neg, exp, log, sqrt, rsqrt, reciprocal, square, abs, sign, sin, cos, log1p, expm1, clamp } from './ops/unary';
export { relu, leakyRelu, sigmoid, tanh, gelu, softmax, logSoftmax } from './ops/activation';
export { sum, mean, max, min, argmax, argmin, logsumexp, variance, std } from './ops/reduce';
export type { ReduceOptions, ValuesIndices } from './ops/reduce';
export { reshape, view, flatten, unflatten, transpose, t, permute, squeeze, unsqueeze, expand, narrow, cat, stack, split, chunk } from './ops/shape-ops';
export { eq, ne, gt, lt, ge, le, logicalAnd, logicalOr, logicalNot, isnan, isfinite, where } from './ops/compare';
export { matmul, linear } from './ops/matmul';
export { oneHot, indexSelect, gather, select } from './ops/indexing';
export { softmaxCrossEntropy } from './ops/cross-entropy';
export type { SoftmaxCrossEntropyOptions } from './ops/cross-entropy';
export { to, float, int, long, bool, detach, clone, contiguous } from './ops/cast';
export { zero_, fill_, copy_, add_, sub_, mul_, div_, uniform_, normal_ } from './ops/inplace';
export type { TensorOrScalar, Scalar } from './ops/operand';

// Convolution and pooling (NCHW, as PyTorch)
export { conv1d, conv2d } from './ops/conv';
export type { Conv1dOptions, Conv2dOptions } from './ops/conv';
export type { Pair } from './ops/conv-args';
export { maxPool1d, maxPool2d, avgPool1d, avgPool2d } from './ops/pool';
export type { MaxPool1dOptions, MaxPool2dOptions, AvgPool1dOptions, AvgPool2dOptions } from './ops/pool';
export { adaptiveAvgPool2d } from './ops/pool-adaptive';
