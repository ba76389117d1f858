/**
 * Rendezvous as a state machine, without gRPC: joins are validated at once (each
 * refusal is a `RendezvousError` whose code maps to a gRPC status), then wait until
 * the group forms or the timeout expires. See NOTE [Rendezvous and ring] in
 * `ring/ring-schedule.ts`.
 *
 * The group forms when at least `minWorkers` have joined and every requested rank is
 * below the count: at once when `maxWorkers` joined, else after `lastCallMs` more
 * (torchrun's last call, giving late starters a chance). If `timeoutMs` passes first,
 * every waiting join fails with `RENDEZVOUS_TIMEOUT`.
 */
import { randomBytes } from 'node:crypto';
import { RendezvousError, checkInteger } from '../errors';
import type { JoinRequest } from '../protocol/messages';
import { PROTOCOL_VERSION } from '../protocol/protocol-version';
import { createTracer } from '../trace';
import type { MemberRecord, Membership } from './membership';

const trace = createTracer('rendezvous');

/** torchrun's `join_timeout` default: 600 s for `minWorkers` to join. */
export const DEFAULT_RENDEZVOUS_TIMEOUT_MS = 600_000;
/** torchrun's `last_call_timeout` default: 30 s more for workers up to `maxWorkers`. */
export const DEFAULT_LAST_CALL_MS = 30_000;
/** Bytes of randomness in a lease id. */
const LEASE_ID_BYTES = 16;

/** Options of {@link Rendezvous}. */
export interface RendezvousOptions {
  minWorkers: number;
  /** Default: `minWorkers`. */
  maxWorkers?: number;
  /** Time for `minWorkers` to join, from `start()` (default 600 s). */
  timeoutMs?: number;
  /** Wait for more workers once `minWorkers` joined (default 30 s; irrelevant when min = max). */
  lastCallMs?: number;
  /** Expected job signature; default: the first worker's. */
  jobSignature?: string;
}

/** What a waiting `Join` gets once the group forms. */
export interface RendezvousSeat {
  membership: Membership;
  member: MemberRecord;
  /**
   * True for a worker without state (not re-joining) in a group that also holds workers
   * re-joining a restarted coordinator with their in-memory replicas: it must take their
   * state, as a worker admitted into a running group does, not start from a checkpoint.
   */
  joinsRunningReplicas: boolean;
}

interface Waiter {
  request: JoinRequest;
  resolve: (seat: RendezvousSeat) => void;
  reject: (e: RendezvousError) => void;
}

/**
 * Collects joins and forms the group.
 *
 * @example
 * ```ts
 * const rdzv = new Rendezvous({ minWorkers: 2 });
 * rdzv.start();
 * const { membership, member } = await rdzv.join(request); // member.rank
 * ```
 */
export class Rendezvous {
  readonly minWorkers: number;
  readonly maxWorkers: number;
  readonly timeoutMs: number;
  readonly lastCallMs: number;
  private jobSignature: string | null;
  private readonly waiting = new Map<string, Waiter>();
  private formedMembership: Membership | null = null;
  private failure: RendezvousError | null = null;
  private timeoutTimer: NodeJS.Timeout | null = null;
  private lastCallTimer: NodeJS.Timeout | null = null;
  private readonly formedListeners: ((m: Membership) => void)[] = [];
  private readonly failedListeners: ((e: RendezvousError) => void)[] = [];

  constructor(options: RendezvousOptions) {
    const where = 'Rendezvous';
    this.minWorkers = checkInteger(where, 'minWorkers', options.minWorkers, 1);
    this.maxWorkers = checkInteger(where, 'maxWorkers', options.maxWorkers ?? options.minWorkers, this.minWorkers);
    this.timeoutMs = checkInteger(where, 'timeoutMs', options.timeoutMs ?? DEFAULT_RENDEZVOUS_TIMEOUT_MS, 1);
    this.lastCallMs = checkInteger(where, 'lastCallMs', options.lastCallMs ?? DEFAULT_LAST_CALL_MS, 0);
    this.jobSignature = options.jobSignature ?? null;
  }

  /** Starts the timeout clock. */
  start(): void {
    if (this.timeoutTimer || this.formedMembership || this.failure) return;
    this.timeoutTimer = setTimeout(() => this.expire(), this.timeoutMs);
  }

  /** The formed group, or null while waiting. */
  get membership(): Membership | null {
    return this.formedMembership;
  }

  /** Calls `fn` when the group forms. */
  onFormed(fn: (m: Membership) => void): void {
    this.formedListeners.push(fn);
  }

  /** Calls `fn` if the rendezvous fails (timeout). */
  onFailed(fn: (e: RendezvousError) => void): void {
    this.failedListeners.push(fn);
  }

  /**
   * Validates `request` (throws `RendezvousError` at once) and waits for the group.
   */
  join(request: JoinRequest): Promise<RendezvousSeat> {
    this.validate(request);
    if (request.jobSignature) this.jobSignature ??= request.jobSignature;
    const promise = new Promise<RendezvousSeat>((resolve, reject) => {
      this.waiting.set(request.workerId, { request, resolve, reject });
    });
    trace(() => `worker ${request.workerId} joined (${this.waiting.size}/${this.minWorkers}..${this.maxWorkers})`);
    this.update();
    return promise;
  }

  /** A waiting worker went away (its Join call was cancelled). */
  cancel(workerId: string): void {
    if (this.formedMembership || !this.waiting.delete(workerId)) return;
    trace(`worker ${workerId} left the rendezvous before the group formed`, 'info');
    this.update();
  }

  private validate(r: JoinRequest): void {
    const who = `Join from worker "${r.workerId}"`;
    if (r.protocolVersion !== PROTOCOL_VERSION) {
      throw new RendezvousError('PROTOCOL_VERSION_MISMATCH', `${who}: protocol version ${r.protocolVersion}, the coordinator speaks ${PROTOCOL_VERSION}`, 'run the same Loom version on the coordinator and every worker');
    }
    if (!r.workerId) throw new RendezvousError('INVALID_JOIN', 'Join: worker_id is empty, expected a unique name such as "host:pid"');
    if (!r.peerAddress) throw new RendezvousError('INVALID_JOIN', `${who}: peer_address is empty, expected the "host:port" of the worker's Peer server`);
    if (this.failure) throw new RendezvousError('RENDEZVOUS_CLOSED', `${who}: the rendezvous failed earlier: ${this.failure.message}`);
    if (this.formedMembership) {
      throw new RendezvousError('RENDEZVOUS_CLOSED', `${who}: the group already formed with ${this.formedMembership.members.length} workers at membership epoch ${this.formedMembership.epoch}`, 'start all workers before the rendezvous closes; admitting workers into a running job is not supported yet');
    }
    // An empty signature means "the coordinator's job" (a worker started without JOB).
    if (!r.jobSignature && this.jobSignature === null) {
      throw new RendezvousError('JOB_SIGNATURE_MISMATCH', `${who}: the worker has no job and the coordinator has none either`, 'start the coordinator with JOB (loom coordinator JOB ...) or give the worker JOB');
    }
    if (this.jobSignature !== null && r.jobSignature && r.jobSignature !== this.jobSignature) {
      throw new RendezvousError('JOB_SIGNATURE_MISMATCH', `${who}: job signature "${r.jobSignature}", the coordinator expects "${this.jobSignature}"`, 'every worker must run the same job with the same model (parameter names and shapes)');
    }
    if (this.waiting.has(r.workerId)) throw new RendezvousError('WORKER_ID_TAKEN', `${who}: worker id "${r.workerId}" has already joined`, 'give each worker process a unique id');
    if (r.requestedRank !== undefined) {
      if (r.requestedRank >= this.maxWorkers) {
        throw new RendezvousError('RANK_OUT_OF_RANGE', `${who}: requested rank ${r.requestedRank}, expected 0..${this.maxWorkers - 1} (maxWorkers ${this.maxWorkers})`);
      }
      for (const w of this.waiting.values()) {
        if (w.request.requestedRank === r.requestedRank) {
          throw new RendezvousError('RANK_TAKEN', `${who}: requested rank ${r.requestedRank} is already taken by worker "${w.request.workerId}"`, 'give each worker a distinct RANK, or let the coordinator assign ranks');
        }
      }
    }
  }

  private ranksFit(): boolean {
    for (const w of this.waiting.values()) if ((w.request.requestedRank ?? 0) >= this.waiting.size) return false;
    return true;
  }

  private update(): void {
    const count = this.waiting.size;
    const enough = count >= this.minWorkers && this.ranksFit();
    if (enough && (count >= this.maxWorkers || this.lastCallMs === 0)) {
      this.form();
    } else if (enough && !this.lastCallTimer) {
      this.lastCallTimer = setTimeout(() => this.form(), this.lastCallMs);
    } else if (!enough && this.lastCallTimer) {
      clearTimeout(this.lastCallTimer);
      this.lastCallTimer = null;
    }
  }

  /** Assigns ranks: requested ones first, the rest in worker-id order. */
  private form(): void {
    this.clearTimers();
    const waiters = [...this.waiting.values()];
    const slots: (Waiter | undefined)[] = new Array(waiters.length);
    for (const w of waiters) if (w.request.requestedRank !== undefined) slots[w.request.requestedRank] = w;
    const free = waiters.filter((w) => w.request.requestedRank === undefined).sort((a, b) => (a.request.workerId < b.request.workerId ? -1 : 1));
    for (let rank = 0; rank < slots.length; rank++) if (!slots[rank]) slots[rank] = free.shift();
    const members: MemberRecord[] = slots.map((w, rank) => {
      const r = (w as Waiter).request;
      return { rank, workerId: r.workerId, peerAddress: r.peerAddress, hostname: r.hostname, leaseId: randomBytes(LEASE_ID_BYTES).toString('hex') };
    });
    // Workers re-joining a restarted coordinator keep rings at their epochs: go above them.
    const rejoining = (w: Waiter): boolean => (w.request.rejoinEpoch ?? 0) > 0;
    const epoch = 1 + Math.max(0, ...waiters.map((w) => w.request.rejoinEpoch ?? 0));
    const holdsReplicas = waiters.some(rejoining);
    const membership: Membership = { epoch, members, jobSignature: this.jobSignature ?? '' };
    this.formedMembership = membership;
    this.waiting.clear();
    trace(`group formed: ${members.length} workers (${members.map((m) => `${m.rank}=${m.workerId}`).join(', ')})`, 'info');
    for (const fn of this.formedListeners) fn(membership);
    slots.forEach((w, rank) => (w as Waiter).resolve({ membership, member: members[rank] as MemberRecord, joinsRunningReplicas: holdsReplicas && !rejoining(w as Waiter) }));
  }

  private expire(): void {
    this.timeoutTimer = null;
    if (this.formedMembership) return;
    const count = this.waiting.size;
    if (count >= this.minWorkers && this.ranksFit()) return this.form();
    const requested = [...this.waiting.values()].map((w) => w.request.requestedRank).filter((r) => r !== undefined);
    const why = count < this.minWorkers ? `${count} of minWorkers=${this.minWorkers} workers joined` : `${count} workers joined but requested ranks ${requested.join(', ')} need more`;
    this.failure = new RendezvousError('RENDEZVOUS_TIMEOUT', `rendezvous timed out after ${this.timeoutMs} ms: ${why}`, 'start more workers, lower minWorkers, or raise the rendezvous timeout');
    this.clearTimers();
    trace(this.failure.message, 'info');
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
    for (const fn of this.failedListeners) fn(this.failure);
  }

  private clearTimers(): void {
    if (this.timeoutTimer) clearTimeout(this.timeoutTimer);
    if (this.lastCallTimer) clearTimeout(this.lastCallTimer);
    this.timeoutTimer = null;
    this.lastCallTimer = null;
  }

  /** Stops the timers and fails waiting joins (the coordinator is shutting down). */
  stop(reason: RendezvousError): void {
    this.clearTimers();
    for (const w of this.waiting.values()) w.reject(reason);
    this.waiting.clear();
  }
}
