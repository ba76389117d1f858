/**
 * Re-forming a worker's ring after the membership changed.
 *
 * NOTE [Elastic recovery]
 * ~~~~~~~~~~~~~~~~~~~~~~~
 * A worker dies (SIGKILL) or hangs (SIGSTOP) during step k of a 3-worker group:
 *
 *   w0 ──ring── w1 ──ring── w2 ✗        coordinator
 *    │  all-reduce of step k stalls       │ w2's Control stream breaks (death: at once)
 *    │                                    │ or its heartbeat deadline passes (hang: 5 s)
 *    │◄──── Control: MembershipChanged ───┤ epoch 2, members [w0, w1], ranks renumbered
 *    │  ring.fail(MEMBERSHIP_CHANGED)     │
 *    │  step k's collectives reject; nothing was applied (commit rule below)
 *    │  ring.connect(epoch 2): w0 ◄── w1 ◄── w0
 *    │  trainer: agree on the most advanced replica, broadcast its state, redo
 *    │  step k with the global batch re-sharded over 2 workers
 *
 * Commit rule: a worker applies the optimizer step only after its all-reduce completed.
 * A completed ring all-reduce holds every rank's contribution, so a replica that
 * committed step k is correct; one that did not is exactly one step behind. After the
 * ring is re-formed, the survivors exchange their positions and the most advanced one
 * broadcasts parameters, optimizer, scheduler and generator state (see
 * `@loom/trainer`'s `elastic/state-sync.ts`): no step is applied on some replicas and
 * not on others, none is applied twice.
 *
 * A hung worker that wakes up finds its lease gone (heartbeat NOT_A_MEMBER) and exits
 * with `EVICTED`; its ring streams were already cut by its former neighbours, and a
 * Peer server accepts a neighbour only at its own membership epoch, so it cannot send
 * a single chunk into the new ring.
 */
import { ElasticError, RingError } from '../errors';
import type { RingAllReduce } from '../ring/ring-all-reduce';
import { createTracer } from '../trace';
import type { KnownMembership, MembershipWatch } from './membership-watch';

const trace = createTracer('worker');

/**
 * Waits for a membership newer than `fromEpoch` and connects the ring at it. When the
 * left neighbour cannot be reached (it died too), waits for the next membership.
 *
 * @example
 * ```ts
 * const { membership, rank } = await reformRing(ring, watch, workerId, 1, 15_000, 'peer lost');
 * ```
 */
export async function reformRing(ring: RingAllReduce, watch: MembershipWatch, workerId: string, fromEpoch: number, timeoutMs: number, cause: string): Promise<{ membership: KnownMembership; rank: number }> {
  const deadline = Date.now() + timeoutMs;
  let epoch = fromEpoch;
  for (;;) {
    const next = await watch.newerThan(epoch, deadline, cause);
    const me = next.members.find((m) => m.workerId === workerId);
    if (!me) {
      throw new ElasticError('EVICTED', `worker ${workerId} is not a member at membership epoch ${next.epoch}: ${next.reason}`, 'a worker the coordinator gave up on exits rather than rejoin a running ring; restart it to join a new run');
    }
    const n = next.members.length;
    const left = next.members[(me.rank + n - 1) % n] as KnownMembership['members'][number];
    try {
      const started = Date.now();
      await ring.connect({ rank: me.rank, worldSize: n, membershipEpoch: next.epoch, left: left.peerAddress });
      trace(`ring re-formed at membership epoch ${next.epoch}: rank ${me.rank} of ${n} (${Date.now() - started} ms)`, 'info');
      return { membership: next, rank: me.rank };
    } catch (e) {
      // The left neighbour may have died as well: its removal brings a newer epoch.
      if (!(e instanceof RingError)) throw e;
      epoch = next.epoch;
      cause = e.message;
    }
  }
}
