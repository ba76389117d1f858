/**
 * A per-epoch progress bar for terminals: step, loss, samples/s and ETA, redrawn in
 * place on stderr (so stdout keeps the seed's lines). Off a terminal it prints nothing:
 * CI logs and pipes get plain lines only.
 */
import type { Callback, EpochEvent, StepEvent } from '@loom/trainer';

/** Redraws at most this often, so drawing never costs training time. */
const REDRAW_INTERVAL_MS = 100;
const BAR_WIDTH = 24;

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

/** Renders one progress line (exported for tests). */
export function renderProgress(event: StepEvent, workers = 1): string {
  const fraction = event.epochSamples > 0 ? Math.min(1, event.samples / event.epochSamples) : 0;
  const filled = Math.round(fraction * BAR_WIDTH);
  const rate = event.seconds > 0 ? event.samples / event.seconds : 0;
  const eta = rate > 0 ? (event.epochSamples - event.samples) / rate : Infinity;
  const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
  return `epoch ${event.epoch} ${bar} ${(fraction * 100).toFixed(0).padStart(3)}% step ${event.step} loss ${event.loss.toFixed(4)} ${rate.toFixed(0)} samples/s ETA ${formatSeconds(eta)}${workers > 1 ? ` · ${workers} workers` : ''}`;
}

/** Draws the bar on a TTY stream. */
export class ProgressBar implements Callback {
  private last = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly workers = 1,
  ) {}

  get enabled(): boolean {
    return Boolean(this.stream.isTTY);
  }

  onStep(event: StepEvent): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < REDRAW_INTERVAL_MS) return;
    this.last = now;
    const columns = this.stream.columns ?? 120;
    this.stream.write(`\r${renderProgress(event, this.workers).slice(0, columns - 1)}\x1b[K`);
  }

  onEpochEnd(_event: EpochEvent): void {
    this.clear();
  }

  /** Erases the bar (before a normal line is printed). */
  clear(): void {
    if (this.enabled) this.stream.write('\r\x1b[K');
  }
}
