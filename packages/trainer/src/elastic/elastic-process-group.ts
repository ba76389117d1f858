/**
 * `ElasticProcessGroup`: a `ProcessGroup` whose membership may change while training
 * runs (a worker dies, hangs or joins). `@loom/coordinator`'s `WorkerGroup` implements
 * it; the `Trainer` recognises it and, instead of failing, redoes the interrupted step
 * with the new group (NOTE [Elastic recovery] in @loom/coordinator's
 * `worker/elastic-recovery.ts`).
 */
import type { ProcessGroup } from '../distributed/process-group';

/** A process group that can re-form after a membership change. */
export interface ElasticProcessGroup extends ProcessGroup {
  /** True when `error`, thrown by a collective, means: call `recover()` and redo the step. */
  isMembershipChange(error: unknown): boolean;
  /**
   * Waits for the new membership and re-forms the group; `rank` and `worldSize` then
   * describe it. Throws when this process cannot go on (removed, too few workers).
   */
  recover(cause?: string): Promise<void>;
  /** Version of the membership (for logs): 1 at the start, +1 per change. */
  readonly membershipEpoch?: number;
  /**
   * True for a process admitted into a group that is already training: it takes the
   * group's state (the Trainer's first collective is the state agreement) instead of
   * broadcasting its initial parameters.
   */
  readonly joinedRunning?: boolean;
}

/**
 * The group as an elastic one, or null when it cannot re-form (`InProcessGroup`).
 *
 * @example
 * ```ts
 * const elastic = asElastic(ctx.processGroup);
 * if (elastic?.isMembershipChange(e)) await elastic.recover();
 * ```
 */
export function asElastic(pg: ProcessGroup | null): ElasticProcessGroup | null {
  const candidate = pg as Partial<ElasticProcessGroup> | null;
  return candidate && typeof candidate.recover === 'function' && typeof candidate.isMembershipChange === 'function' ? (pg as ElasticProcessGroup) : null;
}
