/**
 * One call that makes a process a member of a training group: start the ring's Peer
 * server, join through the coordinator, connect the ring, start heartbeats. The result
 * has the shape of @loom/trainer's `ProcessGroup` (rank, worldSize, allReduce,
 * broadcast, barrier), so it plugs into `DistributedDataParallel` as is.
 */
import * as os from 'node:os';
import { randomBytes } from 'node:crypto';
import { CoordinatorClient, type CoordinatorClientOptions } from '../client/coordinator-client';
import type { JoinResponse } from '../protocol/messages';
import { RingAllReduce, type AllReduceOptions } from '../ring/ring-all-reduce';
import type { RingAllReduceOptions } from '../ring/ring-options';
import type { AllReduceHandle } from '../ring/all-reduce-handle';
import { CoordinatorError, ElasticError } from '../errors';
import { createTracer } from '../trace';
import { rejoinWithBackoff } from './coordinator-reconnect';
import { reformRing } from './elastic-recovery';
import { MembershipWatch } from './membership-watch';

const trace = createTracer('worker');

/** Options of {@link joinGroup}. */
export interface JoinGroupOptions extends RingAllReduceOptions, CoordinatorClientOptions {
  /** The coordinator's "host:port". */
  coordinator: string;
  /** Job and model signature (see `modelSignature`). */
  jobSignature: string;
  /** torchrun's RANK, when ranks are fixed. */
  requestedRank?: number;
  /** Join's deadline. */
  joinTimeoutMs?: number;
  /** Called for each failed heartbeat (default: traced). */
  onHeartbeatError?: (e: Error) => void;
  /**
   * How long `recover()` waits for the coordinator's new membership after a ring
   * failure (default: {@link RECOVERY_TIMEOUT_HEARTBEATS} heartbeat timeouts).
   */
  recoveryTimeoutMs?: number;
  /** How long to keep trying to join a coordinator that went away (default 5 min). */
  reconnectTimeoutMs?: number;
}

/**
 * Default recovery wait, in heartbeat timeouts: the coordinator needs one timeout to
 * declare a hung worker dead; the rest covers re-forming the ring on a loaded machine.
 */
export const RECOVERY_TIMEOUT_HEARTBEATS = 3;

/** Ring errors after which the group may go on at a new membership epoch. */
const RECOVERABLE_CODES = new Set(['RING_PEER_LOST', 'RING_CLOSED', 'RING_TIMEOUT', 'MEMBERSHIP_CHANGED']);

/** One admission by a coordinator: its answer, the heartbeats and the event stream. */
interface Session {
  joined: JoinResponse;
  watch: MembershipWatch;
  stopHeartbeats: () => void;
}

/**
 * A member of a training group: its rank, the ring, the coordinator client. It is an
 * elastic process group: when a member dies or hangs, collectives reject with a
 * recoverable error (`isMembershipChange`), and `recover()` re-forms the ring with the
 * survivors (NOTE [Elastic recovery] in `elastic-recovery.ts`); `rank` and
 * `worldSize` then describe the new group. When the coordinator goes away, training
 * goes on over the ring while the worker joins the restarted coordinator again with
 * backoff (`coordinator-reconnect.ts`).
 *
 * @example
 * ```ts
 * const group = await joinGroup({ coordinator: '127.0.0.1:7000', jobSignature });
 * await group.broadcast(params, 0);
 * try { await group.allReduce(grads, { weight: 1 / group.worldSize }); }
 * catch (e) { if (group.isMembershipChange(e)) await group.recover(); else throw e; }
 * await group.close();
 * ```
 */
export class WorkerGroup {
  private session: Session;
  private epoch: number;
  private closed = false;
  private reconnecting: Promise<void> | null = null;
  private fatal: Error | null = null;

  /** @internal */
  constructor(
    joined: JoinResponse,
    readonly ring: RingAllReduce,
    readonly client: CoordinatorClient,
    readonly workerId: string,
    private readonly options: JoinGroupOptions,
  ) {
    this.session = this.startSession(joined);
    this.epoch = joined.membershipEpoch;
  }

  /** The coordinator's latest admission of this worker. */
  get joined(): JoinResponse {
    return this.session.joined;
  }

  /** This worker's rank at the current membership epoch. */
  get rank(): number {
    return this.ring.rank;
  }

  /** Number of workers at the current membership epoch. */
  get worldSize(): number {
    return this.ring.worldSize;
  }

  /** The membership epoch the ring runs at (1 after rendezvous, +1 per change). */
  get membershipEpoch(): number {
    return this.epoch;
  }

  /** True when this worker was admitted into a group that was already training. */
  get joinedRunning(): boolean {
    return this.session.joined.joinedRunning;
  }

  private startSession(joined: JoinResponse): Session {
    const lease = { workerId: this.workerId, leaseId: joined.leaseId };
    const watch: MembershipWatch = new MembershipWatch(
      this.client,
      lease,
      { epoch: joined.membershipEpoch, members: joined.members, reason: '' },
      (e) => this.ring.fail(e),
      (why) => this.onCoordinatorLost(why),
    );
    const stopHeartbeats = this.client.startHeartbeats(
      { ...joined, workerId: this.workerId },
      {
        onError: (e) => {
          watch.onHeartbeatError(e);
          this.options.onHeartbeatError?.(e);
        },
        state: () => ({ membershipEpoch: this.epoch, step: 0 }),
      },
    );
    return { joined, watch, stopHeartbeats };
  }

  /** The coordinator went away: keep training, and join it again once it is back. */
  private onCoordinatorLost(why: string): void {
    if (this.closed || this.reconnecting) return;
    trace(`lost the coordinator at ${this.client.address}: ${why}; training goes on, joining it again with backoff`, 'info');
    this.session.stopHeartbeats();
    this.session.watch.stop();
    const request = { workerId: this.workerId, jobSignature: this.options.jobSignature, peerAddress: this.ring.address as string, hostname: os.hostname(), rejoinEpoch: this.epoch };
    this.reconnecting = rejoinWithBackoff(this.client, request, { timeoutMs: this.options.reconnectTimeoutMs, cancelled: () => this.closed })
      .then((joined) => {
        if (!joined || this.closed) return;
        this.session = this.startSession(joined);
        // The restarted coordinator numbered a new membership: move the ring to it.
        this.ring.fail(new ElasticError('MEMBERSHIP_CHANGED', `re-joined the restarted coordinator at membership epoch ${joined.membershipEpoch}`));
      })
      .catch((e: Error) => {
        this.fatal = e;
        trace(e.message, 'info');
        this.ring.fail(e);
      })
      .finally(() => (this.reconnecting = null));
  }

  /** Milliseconds during which at least one collective was in flight (for metrics). */
  get collectiveMs(): number {
    return this.busyMs + (this.inFlight > 0 ? performance.now() - this.busySince : 0);
  }

  private busyMs = 0;
  private busySince = 0;
  private inFlight = 0;

  /** Counts `promise`'s time as collective time; marks its rejection handled. */
  private track(promise: Promise<void>): Promise<void> {
    if (this.inFlight++ === 0) this.busySince = performance.now();
    const settle = (): void => {
      if (--this.inFlight === 0) this.busyMs += performance.now() - this.busySince;
    };
    promise.then(settle, settle);
    return handled(promise);
  }

  /** See `RingAllReduce.allReduce`. */
  allReduce(buffers: Float32Array | readonly Float32Array[], options?: AllReduceOptions): Promise<void> {
    return this.track(this.ring.allReduce(buffers, options));
  }

  /** See `RingAllReduce.startAllReduce`. */
  startAllReduce(bucketLengths: readonly number[], options?: Pick<AllReduceOptions, 'weight' | 'step'>): AllReduceHandle {
    return this.ring.startAllReduce(bucketLengths, options);
  }

  /** See `RingAllReduce.broadcast`. */
  broadcast(buffer: Float32Array, root: number): Promise<void> {
    return this.track(this.ring.broadcast(buffer, root));
  }

  /** See `RingAllReduce.barrier`. */
  barrier(): Promise<void> {
    return this.track(this.ring.barrier());
  }

  /**
   * Sends a checkpoint (an encoded `loom.v1.Checkpoint`) to the coordinator, which
   * saves it in the run's `checkpoints/` folder; resolves with the file's path there,
   * or null when it was skipped because the coordinator is being joined again (its
   * lease is about to change; the next checkpoint goes to the restarted coordinator).
   */
  async saveCheckpoint(bytes: Uint8Array, position: { step: number; epoch: number; batch: number }): Promise<string | null> {
    if (this.reconnecting) {
      trace(`checkpoint of step ${position.step} skipped: re-joining the coordinator at ${this.client.address}`, 'info');
      return null;
    }
    const saved = await this.client.saveCheckpoint({ workerId: this.workerId, leaseId: this.joined.leaseId }, position, bytes);
    return saved.path;
  }

  /**
   * Downloads the checkpoint the coordinator offers to resume from (started with
   * `--resume`), or null when it offers none. Size and SHA-256 are checked.
   */
  async loadResumeCheckpoint(): Promise<{ bytes: Uint8Array; step: number; epoch: number; batch: number } | null> {
    const offer = this.joined.resumeCheckpoint;
    if (!offer) return null;
    const { bytes } = await this.client.loadCheckpoint({ workerId: this.workerId, leaseId: this.joined.leaseId });
    trace(`resume checkpoint of step ${offer.step}: ${bytes.length} bytes received from ${this.client.address}`, 'info');
    return { bytes, step: offer.step, epoch: offer.trainEpoch, batch: offer.batch };
  }

  /** True when `error` (from a collective) means: call `recover()` and redo the step. */
  isMembershipChange(error: unknown): boolean {
    return error instanceof CoordinatorError && RECOVERABLE_CODES.has(error.code) && this.session.watch.terminal === null && this.fatal === null;
  }

  /**
   * Waits for the coordinator's new membership and re-forms the ring at it. Throws an
   * `ElasticError` when this worker cannot go on: `EVICTED` (removed, e.g. after a
   * hang), `GROUP_FAILED` (fewer than minWorkers left, or no coordinator), `RECOVERY_TIMEOUT`.
   */
  async recover(cause = 'a collective failed'): Promise<void> {
    if (this.reconnecting) await this.reconnecting;
    if (this.fatal) throw this.fatal;
    do {
      const { membership } = await reformRing(this.ring, this.session.watch, this.workerId, this.epoch, this.recoveryTimeoutMs, cause);
      this.epoch = membership.epoch;
    } while (this.session.watch.latest.epoch > this.epoch);
    if (this.session.watch.terminal) throw this.session.watch.terminal;
  }

  private get recoveryTimeoutMs(): number {
    return this.options.recoveryTimeoutMs ?? RECOVERY_TIMEOUT_HEARTBEATS * this.session.joined.heartbeatTimeoutMs;
  }

  /** Stops heartbeats, leaves the group (best effort), closes the ring and the client. */
  async close(options: { leave?: boolean; reason?: string } = {}): Promise<void> {
    this.closed = true;
    this.session.stopHeartbeats();
    if ((options.leave ?? true) && this.session.watch.terminal === null && !this.reconnecting) {
      this.session.watch.leaving();
      await this.client.leave({ workerId: this.workerId, leaseId: this.joined.leaseId }, options.reason ?? 'finished').catch((e: Error) => trace(`leave failed: ${e.message}`));
    }
    this.session.watch.stop();
    await this.ring.close();
    this.client.close();
  }
}

/**
 * Marks a collective's rejection as handled here, so that one a caller launched and
 * never awaited (DDP buckets after an earlier bucket failed) does not crash the
 * process; callers that await it still see the error.
 */
function handled(promise: Promise<void>): Promise<void> {
  promise.catch(() => undefined);
  return promise;
}

/** A worker id unique across hosts and restarts: "host:pid:random". */
export function defaultWorkerId(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** Joins a group (see {@link WorkerGroup}). */
export async function joinGroup(options: JoinGroupOptions): Promise<WorkerGroup> {
  const workerId = options.workerId ?? defaultWorkerId();
  const ring = new RingAllReduce({ ...options, workerId });
  const client = new CoordinatorClient(options.coordinator, options);
  try {
    const peerAddress = await ring.listen();
    const joined = await client.join({ workerId, jobSignature: options.jobSignature, peerAddress, requestedRank: options.requestedRank, hostname: os.hostname(), timeoutMs: options.joinTimeoutMs });
    await ring.connect({ rank: joined.rank, worldSize: joined.worldSize, membershipEpoch: joined.membershipEpoch, left: joined.left.peerAddress });
    trace(() => `joined as rank ${joined.rank} of ${joined.worldSize}`);
    return new WorkerGroup(joined, ring, client, workerId, { ...options, workerId });
  } catch (e) {
    await ring.close();
    client.close();
    throw e;
  }
}
