/**
 * A worker's view of the group's membership while it trains: the Control stream's
 * `MembershipChanged` and `Shutdown` events, and the verdict of its heartbeats. It
 * turns them into "a newer membership is known" (recoverable) or a terminal
 * `ElasticError` (removed from the group, group shut down). NOTE [Elastic recovery] in
 * `elastic-recovery.ts` shows where it fits.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { CoordinatorError, ElasticError } from '../errors';
import type { CoordinatorClient, Lease } from '../client/coordinator-client';
import type { ControlEvent, Member } from '../protocol/messages';
import { createTracer } from '../trace';

const trace = createTracer('worker');

/** A membership as a worker needs it to re-form its ring. */
export interface KnownMembership {
  epoch: number;
  members: Member[];
  /** Why it changed, in words (empty for the rendezvous). */
  reason: string;
}

/**
 * Follows the Control stream of one member.
 *
 * @example
 * ```ts
 * const watch = new MembershipWatch(client, lease, { epoch: 1, members, reason: '' }, (why) => ring.fail(why));
 * const next = await watch.newerThan(1, Date.now() + 15_000);
 * ```
 */
export class MembershipWatch {
  private latestKnown: KnownMembership;
  private terminalError: ElasticError | null = null;
  private readonly waiters = new Set<() => void>();
  private readonly stream: ReturnType<CoordinatorClient['control']>;
  private stopped = false;
  private leavingOnPurpose = false;

  constructor(
    private readonly client: CoordinatorClient,
    private readonly lease: Lease,
    initial: KnownMembership,
    /** Called when the current ring must stop (a newer membership, or a terminal error). */
    private readonly onInterrupt: (error: ElasticError) => void,
    /** Called when the coordinator is unreachable or was restarted (it no longer knows this worker). */
    private readonly onCoordinatorLost: (why: string) => void = () => undefined,
  ) {
    this.latestKnown = initial;
    this.stream = client.control(lease);
    this.stream.on('event', (event: ControlEvent) => this.onEvent(event));
    this.stream.on('error', (e: Error) => this.onStreamLost(e.message));
    this.stream.on('end', () => this.onStreamLost('the coordinator ended the stream'));
  }

  /** The newest membership heard of. */
  get latest(): KnownMembership {
    return this.latestKnown;
  }

  /** Set once this worker cannot go on (removed, or the group shut down). */
  get terminal(): ElasticError | null {
    return this.terminalError;
  }

  /**
   * Resolves with the newest membership once its epoch is above `epoch`; rejects with
   * the terminal error, or `RECOVERY_TIMEOUT` at `deadline` (a Date.now() value).
   */
  async newerThan(epoch: number, deadline: number, cause: string): Promise<KnownMembership> {
    for (;;) {
      if (this.terminalError) throw this.terminalError;
      if (this.latestKnown.epoch > epoch) return this.latestKnown;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new ElasticError('RECOVERY_TIMEOUT', `worker ${this.lease.workerId}: the ring failed at membership epoch ${epoch} (${cause}) and the coordinator announced no new membership within the recovery timeout`, 'check that the coordinator is reachable; raise the heartbeat timeout if the network is slow');
      }
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.waiters.add(done);
      });
    }
  }

  /**
   * A failed heartbeat: NOT_A_MEMBER means this worker was removed; UNKNOWN_WORKER (a
   * restarted coordinator) or an unreachable coordinator means: join it again.
   */
  onHeartbeatError(e: Error): void {
    if (this.stopped) return;
    if (coordinatorGone(e)) {
      this.onCoordinatorLost(e.message);
    } else if (e instanceof CoordinatorError && e.code === 'NOT_A_MEMBER') {
      this.setTerminal(new ElasticError('EVICTED', `worker ${this.lease.workerId} was removed from the group (at or after membership epoch ${this.latestKnown.epoch}): ${e.message}`, 'a worker that hung past the heartbeat deadline is refused, so that it cannot corrupt the ring; restart it to join a new run'));
    } else {
      trace(`heartbeat failed: ${e.message}`, 'info');
    }
  }

  /**
   * This worker is leaving: the coordinator ends its Control stream in answer to
   * `Leave`, which is then no loss to report or probe with a heartbeat. The stream stays
   * open until then, so that the coordinator records a departure, not a broken stream.
   */
  leaving(): void {
    this.leavingOnPurpose = true;
  }

  /** Stops following the stream (the worker is leaving). */
  stop(): void {
    this.stopped = true;
    this.stream.cancel();
    this.wake();
  }

  private onEvent(event: ControlEvent): void {
    const changed = event.membershipChanged;
    if (changed && changed.membershipEpoch > this.latestKnown.epoch) {
      this.latestKnown = { epoch: changed.membershipEpoch, members: changed.members, reason: changed.reason };
      trace(`membership epoch ${changed.membershipEpoch}: ${changed.reason}`, 'info');
      // A worker that left on purpose finished its collectives: let those in flight here
      // finish too. Should one still need it, it fails by itself and recovery finds this epoch.
      if (!changed.graceful) this.onInterrupt(new ElasticError('MEMBERSHIP_CHANGED', `membership changed to epoch ${changed.membershipEpoch} (${changed.worldSize} workers): ${changed.reason}`));
      this.wake();
    }
    if (event.shutdown) {
      this.setTerminal(new ElasticError('GROUP_FAILED', `the coordinator stopped the job: ${event.shutdown.reason}`));
    }
  }

  /**
   * The stream ended or broke. Removal ends it, and so does a coordinator going away;
   * a heartbeat tells them apart (NOT_A_MEMBER only for the former).
   */
  private onStreamLost(why: string): void {
    if (this.stopped || this.terminalError || this.leavingOnPurpose) return;
    trace(`control stream lost: ${why}`, 'info');
    this.client.heartbeat(this.lease, { membershipEpoch: this.latestKnown.epoch, step: 0 }).then(
      () => undefined,
      (e: Error) => this.onHeartbeatError(e),
    );
  }

  private setTerminal(error: ElasticError): void {
    if (this.terminalError || this.stopped) return;
    this.terminalError = error;
    trace(error.message, 'info');
    this.onInterrupt(error);
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

/**
 * True for the errors of a coordinator that went away (UNAVAILABLE: nothing listens)
 * or came back without this worker (UNKNOWN_WORKER: it was restarted). A late
 * heartbeat (DEADLINE_EXCEEDED on a loaded machine) is neither.
 *
 * @example
 * ```ts
 * if (coordinatorGone(e)) reconnect();
 * ```
 */
export function coordinatorGone(e: unknown): boolean {
  if (!(e instanceof CoordinatorError)) return false;
  return e.code === 'UNKNOWN_WORKER' || (e.code === 'RPC_FAILED' && e.grpcStatus === GrpcStatus.UNAVAILABLE);
}
