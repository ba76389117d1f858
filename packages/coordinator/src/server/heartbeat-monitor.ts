/**
 * Liveness: one deadline per member, pushed back by each heartbeat. A member whose
 * deadline passes is reported once and forgotten.
 */

/**
 * Tracks heartbeat deadlines.
 *
 * @example
 * ```ts
 * const monitor = new HeartbeatMonitor(5000, (id) => markDead(id));
 * monitor.watch('w-0'); monitor.touch('w-0');
 * ```
 */
export class HeartbeatMonitor {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    readonly timeoutMs: number,
    private readonly onExpired: (workerId: string) => void,
  ) {}

  /** Starts the deadline of `workerId`. */
  watch(workerId: string): void {
    this.forget(workerId);
    this.timers.set(
      workerId,
      setTimeout(() => {
        this.timers.delete(workerId);
        this.onExpired(workerId);
      }, this.timeoutMs),
    );
  }

  /** Pushes the deadline back; false when `workerId` is not watched. */
  touch(workerId: string): boolean {
    const timer = this.timers.get(workerId);
    if (!timer) return false;
    timer.refresh();
    return true;
  }

  /** Stops watching `workerId`. */
  forget(workerId: string): void {
    const timer = this.timers.get(workerId);
    if (timer) clearTimeout(timer);
    this.timers.delete(workerId);
  }

  /** Stops every deadline. */
  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
