/** The shared machinery of broadcasting binary ops (add, mul, pow, ...). */
import type * as tf from '@tensorflow/tfjs-core';
import { GradNode } from '../autograd/node';
import { broadcastShapes } from '../shape';
import { Storage } from '../storage';
import { Tensor, needsGrad } from '../tensor';
import { operand, type TensorOrScalar } from './operand';

/** Gradients for both operands from the output gradient (already broadcast-shaped). */
export type BinaryGrad = (g: tf.Tensor, a: tf.Tensor, b: tf.Tensor, out: tf.Tensor) => [tf.Tensor | null, tf.Tensor | null];

/** Definition of one binary op. */
export interface BinaryOp {
  name: string;
  forward: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
  /** Omitted for ops without gradients (comparisons). */
  grad?: BinaryGrad;
  saveOutput?: boolean;
}

/**
 * Runs a binary op with PyTorch broadcasting, recording its backward rule. Gradients
 * are reduced to each input's shape by the caller-supplied rule via `unbroadcast`.
 */
export function binary(def: BinaryOp, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const x = operand(a, b, def.name, 'input');
  const y = operand(b, a, def.name, 'other');
  broadcastShapes(x.shape, y.shape, def.name);
  const value = def.forward(x.value, y.value);
  const inputs: Tensor[] = [];
  if (x.tensor) inputs.push(x.tensor);
  if (y.tensor) inputs.push(y.tensor);
  if (def.grad === undefined || !needsGrad(...inputs)) {
    if (x.owned) x.value.dispose();
    if (y.owned) y.value.dispose();
    return Tensor.fromTf(value);
  }
  // Numbers became scalars we own: hand them to the node, which releases them with the graph.
  const savedStorages: Storage[] = [];
  const own = (o: typeof x): void => {
    const s = o.owned ? Storage.fromTf(o.value) : (o.tensor as Tensor).storage(def.name);
    savedStorages.push(s);
  };
  own(x);
  own(y);
  const grad = def.grad;
  const av = x.value;
  const bv = y.value;
  const out = Tensor.fromTf(value, true);
  const rule = (g: tf.Tensor, o: tf.Tensor): (tf.Tensor | null)[] => {
    const [ga, gb] = grad(g, av, bv, o);
    const result: (tf.Tensor | null)[] = [];
    if (x.tensor) result.push(ga);
    if (y.tensor) result.push(gb);
    return result;
  };
  out.gradFn = new GradNode(def.name, inputs, rule, savedStorages, def.saveOutput ? out.storage(def.name) : null);
  // The node retained the scalars; drop the reference we created them with.
  if (x.owned) savedStorages[0]?.release();
  if (y.owned) savedStorages[1]?.release();
  return out;
}
