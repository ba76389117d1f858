/**
 * The one place where an op's output becomes a Loom tensor and, when gradients are
 * needed, gets its autograd node.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { GradNode, type BackwardFn } from './node';
import { Storage } from '../storage';
import { Tensor, needsGrad } from '../tensor';

/** Options of {@link record}. */
export interface RecordOptions {
  /** Tensors whose values the backward rule captured: their memory is retained. */
  saved?: readonly Tensor[];
  /** Whether the rule reads the op's output (relu, exp, sigmoid, ...). */
  saveOutput?: boolean;
  /**
   * Kernel values made only for the rule (reshaped views of inputs, masks): they are
   * disposed with the graph, or at once when no graph is recorded.
   */
  owned?: readonly tf.Tensor[];
}

/**
 * Wraps `value` (the op's kernel output, now owned by the result) and attaches a
 * backward node when grad mode is on and an input requires grad.
 *
 * `backward` is only called when a node is recorded, so ops can build it lazily.
 */
export function record(
  name: string,
  value: tf.Tensor,
  inputs: readonly Tensor[],
  backward: () => BackwardFn,
  options: RecordOptions = {},
): Tensor {
  const owned = options.owned ?? [];
  if (!needsGrad(...inputs)) {
    for (const v of owned) v.dispose();
    return Tensor.fromTf(value);
  }
  const ownedStorages = owned.map((v) => Storage.fromTf(v));
  const saved = [...(options.saved ?? []).map((t) => t.storage(name)), ...ownedStorages];
  const out = Tensor.fromTf(value, true);
  out.gradFn = new GradNode(name, inputs, backward(), saved, options.saveOutput ? out.storage(name) : null);
  // The node retained them; drop the reference they were created with.
  for (const s of ownedStorages) s.release();
  return out;
}
