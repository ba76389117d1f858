/**
 * Matrix products: `matmul` (PyTorch's rules for 1-D, 2-D and batched operands) and
 * the fused `linear` that `nn.Linear` runs on.
 *
 * NOTE (transposes on wasm): XNNPACK's matmul in tfjs-backend-wasm is fast on plain
 * operands (about 24-28 GFLOP/s on one core here) but about 15x slower when asked for
 * a transposed operand through `matMul(a, b, transposeA, transposeB)`. Backward rules
 * therefore transpose explicitly, and `linear` computes `(W @ x^T)^T` so that only the
 * small activation-sized operands are ever transposed, never the weight matrix. On the
 * tensorflow backend the flags are free and are used instead.
 *
 * XNNPACK also repacks the right operand of every product into its own layout (about
 * 4.5 ns an element here: tfjs caches the packed operand per tensor, and weights are
 * new tensors after every optimizer step). `linear`'s input gradient `g @ W` would
 * pack the whole weight; where the batch is small next to the weight, the same
 * numbers come from `(W^T @ g^T)^T`, which packs only `g^T` (see
 * {@link gradInputTransposed}). Both orders accumulate each dot product in the same
 * order, so the results are bit for bit equal.
 */
import * as tf from '@tensorflow/tfjs-core';
import { record } from '../autograd/record';
import { backendInfo } from '../backend/backend';
import { ShapeError, formatShape } from '../errors';
import { broadcastShapes, sizeOf } from '../shape';
import type { Tensor } from '../tensor';
import { hasHostKernel } from '../kernels/host-kernel';
import { sumDim0 } from '../kernels/sum-dim0';
import { TRANSPOSE_2D, transpose2d, transposeAddBias } from '../kernels/transpose';
import { expandTo, unbroadcast } from './broadcast-grad';
import { matMul } from './kernels';
import { expectTensor } from './operand';

function transposeFlagsAreFast(): boolean {
  return backendInfo()?.name === 'tensorflow';
}

/** XNNPACK's cost to pack one element of a product's right operand, in ns (measured, wasm SIMD). */
const PACK_NS = 4.5;
/** A host transpose's cost per element, in ns (measured, kernels/transpose.ts). */
const TRANSPOSE_NS = 0.75;

/**
 * Whether `linear`'s input gradient `g @ W` (`g` `[rows, out]`, `W` `[out, in]`) is
 * cheaper as `(W^T @ g^T)^T` on this backend: on wasm, with the host transpose, when
 * packing `W` costs more than transposing it, packing `g^T` and transposing the result
 * (`g^T` is made anyway for the weight's gradient).
 */
function gradInputTransposed(rows: number, outF: number, inF: number): boolean {
  if (backendInfo()?.name !== 'wasm' || !hasHostKernel(TRANSPOSE_2D)) return false;
  const direct = PACK_NS * outF * inF;
  const transposed = TRANSPOSE_NS * outF * inF + PACK_NS * outF * rows + TRANSPOSE_NS * rows * inF;
  return transposed < direct;
}

/** Swaps the last two dims (a copy). */
function swapLast(x: tf.Tensor): tf.Tensor {
  if (x.rank === 2) return transpose2d(x);
  const perm = [...Array(x.rank).keys()];
  perm[x.rank - 1] = x.rank - 2;
  perm[x.rank - 2] = x.rank - 1;
  return tf.transpose(x, perm);
}

/** `a @ op(b)` or `op(a) @ b` with the cheapest transpose strategy for the backend. */
function product(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  if (transposeFlagsAreFast()) return matMul(a, b, transposeA, transposeB);
  return tf.tidy(() => matMul(transposeA ? swapLast(a) : a, transposeB ? swapLast(b) : b));
}

/** The broadcast batch dims of a matmul, with an error that shows both operands. */
function batchShape(a: Tensor, b: Tensor, aShape: number[], bShape: number[]): number[] {
  try {
    return broadcastShapes(aShape.slice(0, -2), bShape.slice(0, -2), 'matmul');
  } catch (err) {
    if (!(err instanceof ShapeError)) throw err;
    throw new ShapeError(
      `matmul: batch dimensions cannot be broadcast: a is ${formatShape(a.shape)}, b is ${formatShape(b.shape)} (batch ${formatShape(aShape.slice(0, -2))} against ${formatShape(bShape.slice(0, -2))})`,
      'all dims but the last two must match or be 1 (aligned from the right)',
    );
  }
}

/**
 * The operand reshaped to `shape` (1-D promoted to a matrix) and, when its batch dims
 * are not the broadcast `batch`, expanded to it: tfjs broadcasts batch dims only when
 * one side's batch is a single matrix, and in prod mode silently computes a wrong
 * product for `[2,1,m,k] @ [5,k,n]`.
 */
function withBatch(x: tf.Tensor, shape: number[], batch: number[]): tf.Tensor {
  const own = shape.slice(0, -2);
  const single = own.every((d) => d === 1);
  if (single || (own.length === batch.length && own.every((d, i) => d === batch[i]))) return tf.reshape(x, shape);
  return tf.tidy(() => expandTo(tf.reshape(x, shape), [...batch, ...shape.slice(-2)]));
}

/**
 * Matrix product with PyTorch's rules: 1-D operands are promoted to a row (left) or
 * a column (right) and the added dim removed; batch dims broadcast.
 *
 * @example
 * ```ts
 * matmul(x, w.t()); // [64,784] @ [784,512] -> [64,512]
 * ```
 */
export function matmul(input: Tensor, other: Tensor): Tensor {
  const a = expectTensor(input, 'matmul', 'input');
  const b = expectTensor(other, 'matmul', 'other');
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(`matmul: both arguments need at least 1 dimension, got a ${formatShape(a.shape)} and b ${formatShape(b.shape)}`);
  }
  const aShape = a.ndim === 1 ? [1, a.shape[0] as number] : [...a.shape];
  const bShape = b.ndim === 1 ? [b.shape[0] as number, 1] : [...b.shape];
  const k = aShape[aShape.length - 1];
  if (k !== bShape[bShape.length - 2]) {
    throw new ShapeError(
      `matmul: inner dimensions differ: a is ${formatShape(a.shape)}, b is ${formatShape(b.shape)}`,
      `the last dim of a (${k}) must equal the ${b.ndim === 1 ? 'length' : 'second-to-last dim'} of b (${bShape[bShape.length - 2]})`,
    );
  }
  const batch = batchShape(a, b, aShape, bShape);
  const outShape = [
    ...batch,
    ...(a.ndim === 1 ? [] : [aShape[aShape.length - 2] as number]),
    ...(b.ndim === 1 ? [] : [bShape[bShape.length - 1] as number]),
  ];
  const av = withBatch(a.value('matmul'), aShape, batch);
  const bv = withBatch(b.value('matmul'), bShape, batch);
  const value = tf.tidy(() => tf.reshape(matMul(av, bv), outShape));
  const fullOut = [...batch, aShape[aShape.length - 2] as number, bShape[bShape.length - 1] as number];
  return record('matmul', value, [a, b], () => (g) => {
    const g2 = tf.reshape(g, fullOut);
    const ga = a.requiresGrad ? tf.reshape(unbroadcast(product(g2, bv, false, true), aShape), a.shape as number[]) : null;
    const gb = b.requiresGrad ? tf.reshape(unbroadcast(product(av, g2, true, false), bShape), b.shape as number[]) : null;
    return [ga, gb];
  }, { owned: [av, bv] });
}

/**
 * `input @ weight^T + bias`, as PyTorch's `F.linear`: `input` is `[..., in]`, `weight`
 * is `[out, in]`, `bias` is `[out]`.
 *
 * @example
 * ```ts
 * linear(x, w, b); // [64,784], [512,784], [512] -> [64,512]
 * ```
 */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const x = expectTensor(input, 'linear', 'input');
  const w = expectTensor(weight, 'linear', 'weight');
  if (w.ndim !== 2) throw new ShapeError(`linear: weight must be 2-D [out, in], got ${formatShape(w.shape)}`);
  const [outF, inF] = w.shape as [number, number];
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inF) {
    throw new ShapeError(
      `linear: input and weight shapes cannot be multiplied: input is ${formatShape(x.shape)}, weight is ${formatShape(w.shape)}`,
      `the last dim of the input must be in_features = ${inF}`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outF)) {
    throw new ShapeError(`linear: bias must have shape [${outF}], got ${formatShape(bias.shape)}`);
  }
  const rows = sizeOf(x.shape.slice(0, -1));
  const outShape = [...x.shape.slice(0, -1), outF];
  // 2-D inputs (the common case) skip the reshapes: each is a kernel call.
  const flat = x.ndim === 2;
  const xv = flat ? x.value('linear') : tf.reshape(x.value('linear'), [rows, inF]);
  const wv = w.value('linear');
  const bv = bias ? bias.value('linear') : null;
  const fast = transposeFlagsAreFast();
  const value = tf.tidy(() => {
    if (fast) {
      const y = matMul(xv, wv, false, true);
      const yb = bv ? tf.add(y, bv) : y;
      return flat ? yb : tf.reshape(yb, outShape);
    }
    const yT = matMul(wv, transpose2d(xv));
    const y = bv ? transposeAddBias(yT, bv) : transpose2d(yT);
    return flat ? y : tf.reshape(y, outShape);
  });
  const inputs = bias ? [x, w, bias] : [x, w];
  return record('linear', value, inputs, () => (g) => {
    const g2 = flat ? g : tf.reshape(g, [rows, outF]);
    const viaTransposes = !fast && x.requiresGrad && gradInputTransposed(rows, outF, inF);
    const gT = !fast && (w.requiresGrad || viaTransposes) ? transpose2d(g2) : null;
    let gx: tf.Tensor | null = null;
    if (x.requiresGrad) {
      gx = viaTransposes ? transpose2d(matMul(transpose2d(wv), gT as tf.Tensor)) : matMul(g2, wv);
      if (!flat) gx = tf.reshape(gx, x.shape as number[]);
    }
    let gw: tf.Tensor | null = null;
    if (w.requiresGrad) gw = fast ? matMul(g2, xv, true, false) : matMul(gT as tf.Tensor, xv);
    const grads = [gx, gw];
    if (bias) grads.push(bias.requiresGrad ? sumDim0(g2) : null);
    return grads;
  }, flat ? { saved: [w, x] } : { saved: [w], owned: [xv] });
}
