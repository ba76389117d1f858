/**
 * `SampleLog`: a debugging callback that appends one JSON line per committed step with
 * the dataset indices this rank trained on, its rank, world size and membership epoch.
 * The chaos tests read it to check that every sample of an epoch is trained exactly
 * once across worker failures; `loom worker` enables it with `LOOM_DEBUG_SAMPLE_LOG`.
 */
import * as fs from 'node:fs';
import type { Callback, StepEvent } from '../loop/events';
import type { RunContext } from '../loop/run-context';
import { EpochPlan } from '../plan/epoch-plan';

/** One line of the log. */
export interface SampleLogLine {
  kind: 'commit';
  pid: number;
  /** 0-based epoch. */
  epoch: number;
  batch: number;
  step: number;
  rank: number;
  worldSize: number;
  membershipEpoch: number;
  indices: number[];
}

/**
 * Appends {@link SampleLogLine}s to `file` (synchronously, so a line survives a SIGKILL
 * right after the step).
 *
 * @example
 * ```ts
 * const log = new SampleLog('/tmp/samples.jsonl', () => trainer.runContext);
 * new Trainer(job, { processGroup, callbacks: [log] });
 * ```
 */
export class SampleLog implements Callback {
  private plan: EpochPlan | null = null;

  constructor(
    readonly file: string,
    private readonly context: () => RunContext,
  ) {}

  onStep(event: StepEvent): void {
    const ctx = this.context();
    const pg = ctx.processGroup;
    const [rank, worldSize] = pg ? [pg.rank, pg.worldSize] : [0, 1];
    const epoch = event.epoch - 1;
    if (this.plan?.epoch !== epoch) {
      this.plan = new EpochPlan({ datasetLength: ctx.train.length, batchSize: ctx.job.batchSize, seed: ctx.job.seed, epoch, shuffle: ctx.job.shuffle, dropLast: ctx.job.dropLast });
    }
    const line: SampleLogLine = {
      kind: 'commit',
      pid: process.pid,
      epoch,
      batch: event.batch,
      step: event.step,
      rank,
      worldSize,
      membershipEpoch: (pg as { membershipEpoch?: number } | null)?.membershipEpoch ?? 1,
      indices: [...this.plan.shard(event.batch, rank, worldSize).indices],
    };
    fs.appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }
}
