/**
 * One recorded operation in the autograd graph (PyTorch's `grad_fn`).
 *
 * Each op builds its output and its backward rule side by side (see `ops/`); the rule
 * receives the gradient of the output and returns one gradient per input (or `null`
 * where none flows). Values the rule needs are captured at forward time and their
 * storages retained here, so they stay valid even if the user's tensors are released
 * or modified in place afterwards.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { AutogradError } from '../errors';
import type { Storage } from '../storage';
import type { Tensor } from '../tensor';

/** A backward rule: output gradient (and the output value) to input gradients. */
export type BackwardFn = (grad: tf.Tensor, output: tf.Tensor) => (tf.Tensor | null)[];

/** @internal */
export class GradNode {
  private rule: BackwardFn | null;
  private saved: Storage[];
  /** References that can still reach this node: its output tensor and the nodes it feeds. */
  private uses = 1;

  constructor(
    /** Op name, shown as PyTorch shows `grad_fn` (`MulBackward`). */
    readonly name: string,
    /** The op's tensor inputs, in the order the rule returns gradients. */
    readonly inputs: readonly Tensor[],
    rule: BackwardFn,
    saved: Storage[],
    /** The output's storage, retained when the rule reads the output. */
    private readonly output: Storage | null,
  ) {
    this.rule = rule;
    this.saved = saved;
    for (const s of saved) s.retain();
    output?.retain();
    for (const input of inputs) if (input.gradFn !== null) input.gradFn.uses++;
  }

  /**
   * Drops one reference: the output tensor was released, or a node this one feeds was
   * dropped. At zero nothing can run backward through the node any more, so its saved
   * values are released (PyTorch frees a graph whose output is garbage-collected the
   * same way) and the nodes that feed it lose a reference in turn. Without this, a
   * forward whose backward never runs (an evaluation outside noGrad) would keep every
   * saved activation alive after its scope ended.
   */
  drop(): void {
    // Iterative: an unrolled graph can be deeper than the JavaScript stack.
    const stack: GradNode[] = [this];
    while (stack.length > 0) {
      const node = stack.pop() as GradNode;
      if (node.uses <= 0 || --node.uses > 0) continue;
      node.free();
      for (const input of node.inputs) if (input.gradFn !== null) stack.push(input.gradFn);
    }
  }

  /** Whether {@link free} ran (the graph was consumed by a backward without `retainGraph`). */
  get freed(): boolean {
    return this.rule === null;
  }

  /** Runs the backward rule. */
  apply(grad: tf.Tensor): (tf.Tensor | null)[] {
    if (this.rule === null) {
      throw new AutogradError(
        `backward: trying to backward through the graph a second time: ${this.name} was freed by an earlier backward()`,
        'pass { retainGraph: true } to the first backward() if you need to run backward twice',
      );
    }
    return this.rule(grad, this.output ? this.output.value : (null as unknown as tf.Tensor));
  }

  /** Drops the saved values; a later backward through this node throws. */
  free(): void {
    if (this.rule === null) return;
    this.rule = null;
    for (const s of this.saved) s.release();
    this.saved = [];
    this.output?.release();
  }

  toString(): string {
    return `<${this.name}Backward>`;
  }
}
