/**
 * NOTE [Non-finite steps]: deciding, identically on every rank, whether a step may
 * update the weights.
 *
 *   rank r:  backward -> own loss finite? own grads finite? (one reduction per parameter)
 *            extra = [loss * weight, lossBad[0..W), gradBad[0..W)]   (own slots only)
 *   ddp.synchronizeGradients(extra)   -- gradients and extra summed on the ring
 *   every rank: reduced loss finite? any rank's flag set?  -> the same verdict
 *               (bad: stop with NonFiniteError, or skip the step; never optimizer.step())
 *
 * The verdict only reads all-reduced values, which are bit-identical on every rank, so
 * all ranks stop together (or all skip the step) and no replica steps alone, and the
 * per-rank slots say which worker produced the fault. The reduced gradients need no
 * second check: a NaN or infinity on any rank makes the sum non-finite (and is then
 * flagged), and finite gradients cannot overflow when summed, because the ranks'
 * weights are their shares of the global batch and add up to 1: the reduced gradient
 * is a convex combination, never larger than the largest rank's.
 */
import type { Tensor } from '@loom/tensor';
import { gradientsFinite, nonFiniteGradients } from './finite-check';
import type { NonFiniteStep } from './non-finite-error';

/** Where the step is, for the report. */
export interface StepPosition {
  epoch: number;
  step: number;
  batch: number;
}

/** Checks each step's loss and gradients; see NOTE [Non-finite steps]. */
export class StepGuard {
  private readonly params: Tensor[];
  /** `[weighted loss, lossBad per rank, gradBad per rank]`, all-reduced with the gradients. */
  readonly extra: Float32Array;
  private localLossFinite = true;
  private localGradFinite = true;

  constructor(
    private readonly named: readonly (readonly [string, Tensor])[],
    readonly rank: number,
    readonly worldSize: number,
  ) {
    this.params = named.map(([, p]) => p);
    this.extra = new Float32Array(1 + 2 * worldSize);
  }

  /**
   * Records this rank's own loss and gradients (call after backward, before the
   * gradients are all-reduced) and fills {@link extra} for the all-reduce.
   */
  observeLocal(localLoss: number, weight: number): void {
    this.localLossFinite = Number.isFinite(localLoss);
    this.localGradFinite = gradientsFinite(this.params);
    this.extra.fill(0);
    this.extra[0] = localLoss * weight;
    this.extra[1 + this.rank] = this.localLossFinite ? 0 : 1;
    this.extra[1 + this.worldSize + this.rank] = this.localGradFinite ? 0 : 1;
  }

  /**
   * The verdict on the step, or null when it may be taken. `loss` is the all-reduced
   * loss; with `reduced` the extra values and gradients are the all-reduced ones.
   * `samplesOf(rank)` gives the dataset indices a rank trained on in this step.
   */
  check(loss: number, position: StepPosition, reduced: boolean, samplesOf: (rank: number) => ArrayLike<number>): NonFiniteStep | null {
    const ranksFlagged = (from: number): number[] => {
      const out: number[] = [];
      for (let r = 0; r < this.worldSize; r++) if ((this.extra[from + r] as number) !== 0) out.push(r);
      return out;
    };
    const lossRanks = reduced ? ranksFlagged(1) : this.localLossFinite ? [] : [this.rank];
    const gradientRanks = reduced ? ranksFlagged(1 + this.worldSize) : this.localGradFinite ? [] : [this.rank];
    const gradsFinite = gradientRanks.length === 0;
    if (Number.isFinite(loss) && lossRanks.length === 0 && gradsFinite) return null;
    return {
      ...position,
      rank: this.rank,
      worldSize: this.worldSize,
      loss,
      lossRanks,
      gradientRanks,
      // After a reduction these are the summed gradients, identical on every rank.
      parameters: gradsFinite ? [] : nonFiniteGradients(this.named),
      samples: [...new Set([...lossRanks, ...gradientRanks])].sort((a, b) => a - b).flatMap((r) => Array.from(samplesOf(r))),
    };
  }
}
