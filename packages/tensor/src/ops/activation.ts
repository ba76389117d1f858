/** Activations: `relu leakyRelu sigmoid tanh gelu softmax logSoftmax`. */
import * as tf from '@tensorflow/tfjs-core';
import { record } from '../autograd/record';
import { reluGrad } from '../kernels/relu-grad';
import { normalizeDim } from '../shape';
import type { Tensor } from '../tensor';
import { expectTensor, floatOf } from './operand';
import { unary } from './unary';

/**
 * `max(0, x)`; the gradient at 0 is 0 and NaN passes the gradient through, as
 * PyTorch's `threshold_backward` (zero where `out <= 0`). @example `relu(x)`
 */
export function relu(input: Tensor): Tensor {
  return unary('relu', input, (x) => tf.relu(x), (g, _x, out) => reluGrad(g, out), 'output');
}

/** `x` for x > 0, else `negativeSlope * x` (PyTorch's default slope 0.01). @example `leakyRelu(x, 0.1)` */
export function leakyRelu(input: Tensor, negativeSlope = 0.01): Tensor {
  return unary(
    'leakyRelu',
    input,
    (x) => tf.leakyRelu(x, negativeSlope),
    (g, x) => tf.where(tf.greater(x, 0), g, tf.mul(g, negativeSlope)),
  );
}

/** Logistic sigmoid. @example `sigmoid(x)` */
export function sigmoid(input: Tensor): Tensor {
  return unary('sigmoid', input, (x) => tf.sigmoid(floatOf(x)), (g, _x, y) => tf.mul(g, tf.mul(y, tf.sub(1, y))), 'output');
}

/** Hyperbolic tangent. @example `tanh(x)` */
export function tanh(input: Tensor): Tensor {
  return unary('tanh', input, (x) => tf.tanh(floatOf(x)), (g, _x, y) => tf.mul(g, tf.sub(1, tf.square(y))), 'output');
}

const SQRT1_2 = Math.SQRT1_2;
/** 1/sqrt(2*pi), the standard normal density's constant. */
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
/** sqrt(2/pi), for the tanh approximation. */
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
/** The cubic coefficient of GELU's tanh approximation (Hendrycks & Gimpel). */
const GELU_TANH_COEFF = 0.044715;

/**
 * Gaussian error linear unit. `approximate: 'none'` (PyTorch's default) is the exact
 * `x * Phi(x)`; `'tanh'` is the tanh approximation.
 *
 * @example
 * ```ts
 * gelu(x); gelu(x, { approximate: 'tanh' });
 * ```
 */
export function gelu(input: Tensor, options: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  if (options.approximate === 'tanh') {
    return unary(
      'gelu',
      input,
      (x) => tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(SQRT_2_OVER_PI, tf.add(x, tf.mul(GELU_TANH_COEFF, tf.pow(x, 3)))))))),
      (g, x) => {
        const inner = tf.mul(SQRT_2_OVER_PI, tf.add(x, tf.mul(GELU_TANH_COEFF, tf.pow(x, 3))));
        const t = tf.tanh(inner);
        const dInner = tf.mul(SQRT_2_OVER_PI, tf.add(1, tf.mul(3 * GELU_TANH_COEFF, tf.square(x))));
        const d = tf.add(tf.mul(0.5, tf.add(1, t)), tf.mul(tf.mul(0.5, x), tf.mul(tf.sub(1, tf.square(t)), dInner)));
        return tf.mul(g, d);
      },
    );
  }
  return unary(
    'gelu',
    input,
    (x) => tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, SQRT1_2))))),
    (g, x) => {
      const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, SQRT1_2))));
      const pdf = tf.mul(INV_SQRT_2PI, tf.exp(tf.mul(-0.5, tf.square(x))));
      return tf.mul(g, tf.add(cdf, tf.mul(x, pdf)));
    },
  );
}

/**
 * Runs a softmax-like op along `dim`; a 0-d input is treated as one element along a
 * dim of size 1, as PyTorch accepts `softmax(scalar, 0)`.
 */
function alongDim(name: string, input: Tensor, dim: number, forward: (x: tf.Tensor, d: number) => tf.Tensor, grad: (g: tf.Tensor, y: tf.Tensor, d: number) => tf.Tensor): Tensor {
  const x = expectTensor(input, name);
  const d = normalizeDim(dim, x.ndim, name);
  const shape = [...x.shape];
  const asVector = (v: tf.Tensor): tf.Tensor => (shape.length === 0 ? tf.reshape(v, [1]) : v);
  const back = (v: tf.Tensor): tf.Tensor => (shape.length === 0 ? tf.reshape(v, []) : v);
  const value = tf.tidy(() => back(forward(asVector(x.value(name)), d)));
  return record(name, value, [x], () => (g, y) => [back(grad(asVector(g), asVector(y), d))], { saveOutput: true });
}

/**
 * Log of softmax along `dim`, computed stably as `x - max - log(sum(exp(x - max)))`.
 *
 * @example
 * ```ts
 * logSoftmax(logits, 1);
 * ```
 */
export function logSoftmax(input: Tensor, dim: number): Tensor {
  return alongDim('logSoftmax', input, dim, logSoftmaxValue, (g, y, d) => tf.sub(g, tf.mul(tf.exp(y), tf.sum(g, d, true))));
}

/** logSoftmax's kernels on a kernel value (softmaxCrossEntropy shares them, for the same numbers). @internal */
export function logSoftmaxValue(x: tf.Tensor, d: number): tf.Tensor {
  return tf.tidy(() => {
    const shifted = tf.sub(x, tf.max(x, d, true));
    return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), d, true)));
  });
}

/**
 * Softmax along `dim`, computed stably (the row maximum is subtracted first).
 *
 * @example
 * ```ts
 * softmax(logits, 1).sum(1); // ones
 * ```
 */
export function softmax(input: Tensor, dim: number): Tensor {
  return alongDim(
    'softmax',
    input,
    dim,
    (x, d) => {
      const e = tf.exp(tf.sub(x, tf.max(x, d, true)));
      return tf.div(e, tf.sum(e, d, true));
    },
    (g, y, d) => tf.mul(y, tf.sub(g, tf.sum(tf.mul(g, y), d, true))),
  );
}
