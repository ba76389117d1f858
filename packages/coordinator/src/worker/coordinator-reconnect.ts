/**
 * Joining a coordinator again after it went away: bounded exponential backoff, every
 * attempt logged. While it runs, training goes on over the ring, which does not need
 * the coordinator; only checkpoints and membership changes wait for it.
 */
import { ElasticError } from '../errors';
import type { CoordinatorClient, JoinOptions } from '../client/coordinator-client';
import type { JoinResponse } from '../protocol/messages';
import { createTracer } from '../trace';
import { coordinatorGone } from './membership-watch';

const trace = createTracer('worker');

/** First wait between attempts (gRPC's connection backoff starts at 1 s; half for loopback). */
export const RECONNECT_INITIAL_BACKOFF_MS = 500;
/** Longest wait between attempts. */
export const RECONNECT_MAX_BACKOFF_MS = 8_000;
/** Give up after this long without a coordinator (a local choice: a restart takes seconds). */
export const DEFAULT_RECONNECT_TIMEOUT_MS = 5 * 60_000;

/**
 * Joins again until the coordinator answers, waiting 0.5 s, 1 s, 2 s, ... (at most
 * 8 s) between attempts, for at most `timeoutMs`. Resolves with the new admission;
 * rejects with `GROUP_FAILED` when the time is up or the coordinator refuses the worker,
 * and stops trying when `cancelled()` turns true.
 *
 * @example
 * ```ts
 * const joined = await rejoinWithBackoff(client, { workerId, jobSignature, peerAddress, rejoinEpoch: 3 }, { timeoutMs: 60_000, cancelled: () => closed });
 * ```
 */
export async function rejoinWithBackoff(client: CoordinatorClient, request: JoinOptions, options: { timeoutMs?: number; cancelled: () => boolean }): Promise<JoinResponse | null> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_RECONNECT_TIMEOUT_MS;
  const started = Date.now();
  let delay = RECONNECT_INITIAL_BACKOFF_MS;
  for (let attempt = 1; ; attempt++) {
    if (options.cancelled()) return null;
    const left = timeoutMs - (Date.now() - started);
    try {
      // Fail fast while nothing listens; once the coordinator is up, Join waits for the group.
      const joined = await client.join({ ...request, waitForReady: false, timeoutMs: Math.max(1, left) });
      trace(`re-joined the coordinator at ${client.address} (attempt ${attempt}, after ${Date.now() - started} ms): rank ${joined.rank} of ${joined.worldSize}, membership epoch ${joined.membershipEpoch}`, 'info');
      return joined;
    } catch (e) {
      if (!coordinatorGone(e)) {
        throw new ElasticError('GROUP_FAILED', `worker ${request.workerId}: the restarted coordinator at ${client.address} refused it: ${(e as Error).message}`);
      }
      if (Date.now() - started + delay > timeoutMs) {
        throw new ElasticError('GROUP_FAILED', `worker ${request.workerId}: the coordinator at ${client.address} stayed unreachable for ${Date.now() - started} ms (${attempt} attempts)`, 'restart it with `loom coordinator ... --resume` within the reconnect timeout');
      }
      trace(`coordinator ${client.address} unreachable (${(e as Error).message.split('\n')[0]}); attempt ${attempt + 1} in ${delay} ms`, 'info');
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, RECONNECT_MAX_BACKOFF_MS);
    }
  }
}
