/**
 * The run directory of a distributed run, written by whichever worker is rank 0 now:
 * after a membership change renumbers the ranks (rank 0 died), the new rank 0 opens
 * the same directory and appends to its metrics.jsonl (and starts a new TensorBoard
 * event file beside the old one, which TensorBoard reads as one run).
 */
import type { Callback, EpochEvent, StepEvent } from '@loom/trainer';
import type { RunDirectory } from './run-dir';

/**
 * Forwards Trainer events to a {@link RunDirectory} opened on first use by rank 0.
 *
 * @example
 * ```ts
 * const runDir = new RankZeroRunDirectory(() => new RunDirectory(dir, config, group.worldSize), () => group.rank);
 * ```
 */
export class RankZeroRunDirectory implements Callback {
  private dir: RunDirectory | null = null;

  constructor(
    private readonly open: () => RunDirectory,
    private readonly rank: () => number,
  ) {
    // Rank 0 writes config.json at once, as before training starts.
    this.current();
  }

  private current(): RunDirectory | null {
    if (this.rank() !== 0) return null;
    this.dir ??= this.open();
    return this.dir;
  }

  onStep(event: StepEvent): void {
    this.current()?.onStep(event);
  }

  onEpochEnd(event: EpochEvent): void {
    this.current()?.onEpochEnd(event);
  }

  close(): void {
    this.dir?.close();
  }
}
