/**
 * The run directory: `config.json` (the resolved configuration), `metrics.jsonl`,
 * TensorBoard event files and `checkpoints/`. Default `runs/<date-time>`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Callback, EpochEvent, StepEvent } from '@loom/trainer';
import { MetricsWriter } from './metrics-writer';
import { TensorBoardWriter } from './tensorboard-writer';

/** `runs/2026-11-26T19-57-05` for a run started now. */
export function defaultRunDir(now = new Date()): string {
  return path.join('runs', now.toISOString().slice(0, 19).replace(/:/g, '-'));
}

/** The checkpoint folder of a run directory. */
export function checkpointDirOf(runDir: string): string {
  return path.join(runDir, 'checkpoints');
}

/** Writes the run directory's files from Trainer events. */
export class RunDirectory implements Callback {
  private readonly metrics: MetricsWriter;
  private readonly tensorboard: TensorBoardWriter;

  constructor(
    readonly dir: string,
    config: Record<string, unknown>,
    private readonly workers = 1,
  ) {
    fs.mkdirSync(checkpointDirOf(dir), { recursive: true });
    fs.writeFileSync(path.join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    this.metrics = new MetricsWriter(path.join(dir, 'metrics.jsonl'));
    this.tensorboard = new TensorBoardWriter(dir);
  }

  onStep(event: StepEvent): void {
    this.metrics.step({ ...event, workers: this.workers });
    if (event.step % 10 === 0) this.tensorboard.addScalar('loss/train_step', event.loss, event.step);
  }

  onEpochEnd(event: EpochEvent): void {
    this.metrics.epoch(event);
    const scalars: Record<string, number> = { 'loss/train': event.trainLoss, 'throughput/samples_per_second': event.samplesPerSecond };
    if (event.testLoss !== null) scalars['loss/test'] = event.testLoss;
    if (event.testAccuracy !== null) scalars['accuracy/test'] = event.testAccuracy;
    this.tensorboard.addScalars(scalars, event.step);
  }

  close(): void {
    this.metrics.close();
    this.tensorboard.close();
  }
}
