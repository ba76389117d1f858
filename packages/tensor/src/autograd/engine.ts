/**
 * The backward pass: a topological walk from the output that accumulates gradients
 * with `+=` (micrograd's shape, PyTorch's semantics).
 *
 * - Leaves that require grad get their gradient, summed over every op that used them,
 *   added to `.grad` once per backward (created on first use and kept alive across
 *   steps until `zeroGrad`), then their post-accumulate hooks run, once: this is where
 *   gradient buckets become ready for all-reduce.
 * - Rules may return the output gradient itself (add, clone); the walk gives every
 *   input a tensor of its own (see `ownedGrads`).
 * - Without `retainGraph`, every node's saved values are released afterwards and a
 *   second backward through the same graph throws.
 */
import * as tf from '@tensorflow/tfjs-core';
import { AutogradError, ShapeError, formatShape } from '../errors';
import type { Tensor } from '../tensor';
import { Tensor as TensorClass } from '../tensor';
import type { GradNode } from './node';
import { sizeOf, sameShape } from '../shape';

/** Options of `Tensor.backward`. */
export interface BackwardOptions {
  /** Keep the graph so that backward can run through it again (default false). */
  retainGraph?: boolean;
}

/** Orders the nodes reachable from `root` so that each comes before its inputs' nodes. */
function topologicalOrder(root: GradNode): GradNode[] {
  const order: GradNode[] = [];
  const visited = new Set<GradNode>();
  // Iterative DFS (deep graphs would overflow the JS stack with recursion).
  const stack: [GradNode, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as [GradNode, number];
    const [node, i] = top;
    if (i < node.inputs.length) {
      top[1] = i + 1;
      const next = (node.inputs[i] as Tensor).gradFn;
      if (next !== null && !visited.has(next)) {
        visited.add(next);
        stack.push([next, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order.reverse();
}

/** Adds `grad` into the leaf's `.grad` (taking ownership of `grad`). */
function accumulate(leaf: Tensor, grad: tf.Tensor): void {
  if (leaf.grad === null || leaf.grad.isDisposed) {
    leaf.grad = TensorClass.fromTf(grad).keep();
  } else {
    const sum = tf.add(leaf.grad.value('backward'), grad);
    grad.dispose();
    leaf.grad.assign(sum, 'backward');
  }
}

/**
 * Makes every returned gradient a tensor of its own. Rules may pass the output
 * gradient through (`add`, `clone`, `reshape` to the same shape) or return one tensor
 * for two inputs (`add(x, y)` gives `[g, g]`); each gradient is handed to exactly one
 * owner below (a leaf's `.grad`, a pending sum) and `grad` is disposed after the rule,
 * so such gradients get a clone, which shares the data and costs no copy.
 */
function ownedGrads(grads: (tf.Tensor | null)[], grad: tf.Tensor): (tf.Tensor | null)[] {
  const seen = new Set<tf.Tensor>([grad]);
  return grads.map((g) => {
    if (g === null || g === undefined) return null;
    if (seen.has(g)) return tf.clone(g);
    seen.add(g);
    return g;
  });
}

/** Adds `g` to the gradient waiting under `key` (taking ownership of `g`). */
function addInto<K>(waiting: Map<K, tf.Tensor>, key: K, g: tf.Tensor): void {
  const previous = waiting.get(key);
  if (previous === undefined) {
    waiting.set(key, g);
  } else {
    waiting.set(key, tf.add(previous, g));
    previous.dispose();
    g.dispose();
  }
}

/** How many edges of the graph end at each leaf that requires grad. */
function countLeafEdges(order: readonly GradNode[]): Map<Tensor, number> {
  const counts = new Map<Tensor, number>();
  for (const node of order) {
    for (const input of node.inputs) {
      if (input.gradFn === null && input.requiresGrad) counts.set(input, (counts.get(input) ?? 0) + 1);
    }
  }
  return counts;
}

function checkGradShape(node: GradNode, input: Tensor, grad: tf.Tensor): void {
  if (!sameShape(grad.shape, input.shape)) {
    throw new ShapeError(
      `backward: ${node.name} produced a gradient of shape ${formatShape(grad.shape)} for an input of shape ${formatShape(input.shape)}`,
      'this is a bug in the op\'s backward rule; please report it with the op name',
    );
  }
}

/** Implements `Tensor.backward`. @internal */
export function runBackward(root: Tensor, gradient: Tensor | undefined, options: BackwardOptions): void {
  if (!root.requiresGrad) {
    throw new AutogradError(
      'backward: element 0 of tensors does not require grad and does not have a grad_fn',
      'the output was computed inside noGrad(), from tensors that do not require grad, or was detached',
    );
  }
  let seed: tf.Tensor;
  if (gradient === undefined) {
    if (sizeOf(root.shape) !== 1) {
      throw new AutogradError(
        `backward: grad can be implicitly created only for scalar outputs, got shape ${formatShape(root.shape)}`,
        'reduce the output first (loss.sum() or loss.mean()) or pass the gradient: out.backward(gradient)',
      );
    }
    seed = tf.onesLike(root.value('backward'));
  } else {
    if (!sameShape(gradient.shape, root.shape)) {
      throw new ShapeError(`backward: gradient has shape ${formatShape(gradient.shape)} but the output has shape ${formatShape(root.shape)}`);
    }
    seed = tf.clone(gradient.value('backward'));
  }

  if (root.gradFn === null) {
    accumulate(root, seed);
    root.runPostAccumulateHooks();
    return;
  }

  const order = topologicalOrder(root.gradFn);
  const pending = new Map<GradNode, tf.Tensor>([[root.gradFn, seed]]);
  // Leaves, like PyTorch's AccumulateGrad nodes, take their gradient once it is whole:
  // the contributions of every edge are summed first, then added to `.grad` and the
  // hooks run, once per backward even when the leaf feeds several ops (tied weights).
  const leafEdges = countLeafEdges(order);
  const leafPending = new Map<Tensor, tf.Tensor>();
  // Non-leaves that asked for retainGrad() get the summed gradient of their node.
  const retained = new Map<GradNode, Tensor>();
  if (root.wantsGrad) retained.set(root.gradFn, root);
  try {
    for (const node of order) {
      const grad = pending.get(node);
      if (grad !== undefined) {
        pending.delete(node);
        const keeper = retained.get(node);
        if (keeper !== undefined) accumulate(keeper, tf.clone(grad));
        let inputGrads: (tf.Tensor | null)[];
        try {
          // tidy keeps the returned gradients and disposes the rule's temporaries.
          inputGrads = ownedGrads(tf.tidy(() => node.apply(grad) as unknown as tf.TensorContainer) as unknown as (tf.Tensor | null)[], grad);
        } finally {
          grad.dispose();
        }
        node.inputs.forEach((input, i) => {
          const g = inputGrads[i] ?? null;
          if (g === null) return;
          if (!input.requiresGrad) {
            g.dispose();
            return;
          }
          checkGradShape(node, input, g);
          if (input.gradFn !== null) {
            if (input.wantsGrad) retained.set(input.gradFn, input);
            addInto(pending, input.gradFn, g);
          } else {
            addInto(leafPending, input, g);
          }
        });
      }
      for (const input of node.inputs) {
        if (input.gradFn !== null || !input.requiresGrad) continue;
        const left = (leafEdges.get(input) as number) - 1;
        leafEdges.set(input, left);
        const g = left === 0 ? leafPending.get(input) : undefined;
        if (g === undefined) continue;
        leafPending.delete(input);
        accumulate(input, g);
        input.runPostAccumulateHooks();
      }
    }
  } finally {
    for (const g of pending.values()) g.dispose();
    for (const g of leafPending.values()) g.dispose();
    if (!options.retainGraph) for (const node of order) node.free();
  }
}
