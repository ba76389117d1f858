/**
 * The coordinator's gRPC server: rendezvous (`Join`), liveness (`Heartbeat`), per-worker
 * event streams (`Control`), metrics (`ReportMetrics`) and departures (`Leave`). Every
 * handler checks the auth hook first and answers a bad request with a status; none can
 * throw out of the server. NOTE [Rendezvous and ring] in `ring/ring-schedule.ts` shows
 * how workers use it.
 */
import { EventEmitter } from 'node:events';
import { Server, ServerCredentials, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData, type UntypedHandleCall } from '@grpc/grpc-js';
import { RendezvousError, checkInteger } from '../errors';
import type { ControlEvent, ControlRequest, HeartbeatRequest, HeartbeatResponse, JoinRequest, JoinResponse, LeaveRequest, LeaveResponse, MetricsReport } from '../protocol/messages';
import { loadProtocol } from '../protocol/load-protocol';
import { PROTOCOL_VERSION } from '../protocol/protocol-version';
import { toStatus } from '../protocol/rpc-status';
import { publicMember, ringNeighbours, withoutMembers, type MemberRecord, type Membership } from '../rendezvous/membership';
import { Rendezvous, type RendezvousOptions } from '../rendezvous/rendezvous';
import { createTracer } from '../trace';
import type { AuthHook } from './auth';
import { HeartbeatMonitor } from './heartbeat-monitor';

const trace = createTracer('coordinator');

/** How often workers heartbeat (a local choice: 5 beats per timeout). */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1000;
/** Silence after which a worker is dead: issue 7 asks that a crash be noticed within 5 s. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 5000;
/** How long `close()` lets calls finish before cutting them (a local choice). */
export const SHUTDOWN_GRACE_MS = 1000;

/** Options of {@link CoordinatorServer}. */
export interface CoordinatorServerOptions extends Omit<RendezvousOptions, 'timeoutMs'> {
  /** Time for `minWorkers` to join, from `start()` (default 600 s, torchrun's). */
  rendezvousTimeoutMs?: number;
  /** Bind address (default 127.0.0.1; anything else should come with auth or TLS). */
  host?: string;
  /** Port (default 0: ephemeral). */
  port?: number;
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  /** Checks every call (tokens, identities); see `bearerTokenAuth`. */
  authorize?: AuthHook;
  /** TLS (default insecure). */
  credentials?: ServerCredentials;
}

/** A metrics report with the sender's rank. */
export interface MetricsEvent {
  rank: number;
  report: MetricsReport;
}

/** Why the membership changed. */
export interface MembershipChange {
  membership: Membership;
  lostWorkerIds: string[];
  reason: string;
}

/**
 * The coordinator. Events: `'formed'` (Membership), `'membership-changed'`
 * (MembershipChange), `'metrics'` (MetricsEvent), `'rendezvous-failed'` (RendezvousError).
 *
 * @example
 * ```ts
 * const coordinator = new CoordinatorServer({ minWorkers: 2, rendezvousTimeoutMs: 60_000 });
 * const address = await coordinator.start();
 * const membership = await coordinator.ready();
 * coordinator.on('metrics', ({ rank, report }) => console.log(rank, report.values.loss));
 * ```
 */
export class CoordinatorServer extends EventEmitter {
  private readonly server: Server;
  private readonly rendezvous: Rendezvous;
  private readonly monitor: HeartbeatMonitor;
  private readonly heartbeatIntervalMs: number;
  private readonly controls = new Map<string, ServerWritableStream<ControlRequest, ControlEvent>>();
  private current: Membership | null = null;
  private readonly readyPromise: Promise<Membership>;
  private address: string | null = null;

  constructor(private readonly options: CoordinatorServerOptions) {
    super();
    this.rendezvous = new Rendezvous({ ...options, timeoutMs: options.rendezvousTimeoutMs });
    this.heartbeatIntervalMs = checkInteger('CoordinatorServer', 'heartbeatIntervalMs', options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS, 1);
    const timeoutMs = checkInteger('CoordinatorServer', 'heartbeatTimeoutMs', options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS, this.heartbeatIntervalMs);
    this.monitor = new HeartbeatMonitor(timeoutMs, (workerId) => this.remove([workerId], `worker ${workerId} missed its heartbeat deadline of ${timeoutMs} ms`));
    this.readyPromise = new Promise((resolve, reject) => {
      this.rendezvous.onFormed((m) => {
        this.current = m;
        for (const member of m.members) this.monitor.watch(member.workerId);
        this.emit('formed', m);
        resolve(m);
      });
      this.rendezvous.onFailed((e) => {
        if (this.listenerCount('rendezvous-failed') > 0) this.emit('rendezvous-failed', e);
        reject(e);
      });
    });
    this.readyPromise.catch(() => undefined);
    this.server = new Server();
    const handlers: Record<string, UntypedHandleCall> = {
      Join: this.unary('Join', (req: JoinRequest, call) => this.join(req, call)),
      Heartbeat: this.unary('Heartbeat', (req: HeartbeatRequest) => this.heartbeat(req)),
      ReportMetrics: this.unary('ReportMetrics', (req: MetricsReport) => this.metrics(req)),
      Leave: this.unary('Leave', (req: LeaveRequest) => this.leave(req)),
      Control: (call: ServerWritableStream<ControlRequest, ControlEvent>) => this.control(call),
    };
    this.server.addService(loadProtocol().coordinatorService, handlers);
  }

  /** Binds the server and starts the rendezvous clock; returns "host:port". */
  start(): Promise<string> {
    const host = this.options.host ?? '127.0.0.1';
    const port = checkInteger('CoordinatorServer', 'port', this.options.port ?? 0, 0, 65535);
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`${host}:${port}`, this.options.credentials ?? ServerCredentials.createInsecure(), (error, bound) => {
        if (error) return reject(new RendezvousError('RENDEZVOUS_CLOSED', `CoordinatorServer: cannot listen on ${host}:${port}: ${error.message}`));
        this.address = `${host}:${bound}`;
        this.rendezvous.start();
        trace(`listening on ${this.address}, waiting for ${this.rendezvous.minWorkers}..${this.rendezvous.maxWorkers} workers`, 'info');
        resolve(this.address);
      });
    });
  }

  /** Resolves when the group forms; rejects with `RENDEZVOUS_TIMEOUT`. */
  ready(): Promise<Membership> {
    return this.readyPromise;
  }

  /** The current membership (null before the group forms). */
  get membership(): Membership | null {
    return this.current;
  }

  private unary<Req, Res>(method: string, fn: (request: Req, call: ServerUnaryCall<Req, Res>) => Res | Promise<Res>) {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      this.guard(method, call)
        .then(() => fn(call.request, call))
        .then(
          (response) => callback(null, response),
          (e: unknown) => callback(toStatus(e), null),
        );
    };
  }

  private async guard(method: string, call: { metadata: ServerUnaryCall<unknown, unknown>['metadata']; getPeer(): string }): Promise<void> {
    await this.options.authorize?.({ service: 'Coordinator', method, metadata: call.metadata, peer: call.getPeer() });
  }

  private async join(request: JoinRequest, call: ServerUnaryCall<JoinRequest, JoinResponse>): Promise<JoinResponse> {
    const pending = this.rendezvous.join(request);
    const onCancel = (): void => this.rendezvous.cancel(request.workerId);
    call.on('cancelled', onCancel);
    try {
      const { membership, member } = await pending;
      return this.joinResponse(membership, member);
    } finally {
      call.off('cancelled', onCancel);
    }
  }

  private joinResponse(membership: Membership, member: MemberRecord): JoinResponse {
    const n = membership.members.length;
    const { left, right } = ringNeighbours(member.rank, n);
    return {
      rank: member.rank,
      worldSize: n,
      membershipEpoch: membership.epoch,
      members: membership.members.map(publicMember),
      left: publicMember(membership.members[left] as MemberRecord),
      right: publicMember(membership.members[right] as MemberRecord),
      leaseId: member.leaseId,
      heartbeatIntervalMs: this.heartbeatIntervalMs,
      heartbeatTimeoutMs: this.monitor.timeoutMs,
      protocolVersion: PROTOCOL_VERSION,
      jobSignature: membership.jobSignature,
    };
  }

  /** The member holding `leaseId`, or a NOT_A_MEMBER error naming the RPC. */
  private member(rpc: string, workerId: string, leaseId: string): MemberRecord {
    const m = this.current?.members.find((x) => x.leaseId === leaseId && x.workerId === workerId);
    if (!m) {
      throw new RendezvousError('NOT_A_MEMBER', `${rpc}: worker "${workerId}" with this lease is not a member${this.current ? ` at membership epoch ${this.current.epoch}` : ' (the group has not formed)'}`, 'a worker marked dead or gone must join again');
    }
    return m;
  }

  private heartbeat(request: HeartbeatRequest): HeartbeatResponse {
    this.member('Heartbeat', request.workerId, request.leaseId);
    this.monitor.touch(request.workerId);
    return { membershipEpoch: this.current?.epoch ?? 0, heartbeatIntervalMs: this.heartbeatIntervalMs };
  }

  private metrics(report: MetricsReport): Record<string, never> {
    const m = this.member('ReportMetrics', report.workerId, report.leaseId);
    this.emit('metrics', { rank: m.rank, report } satisfies MetricsEvent);
    return {};
  }

  private leave(request: LeaveRequest): LeaveResponse {
    this.member('Leave', request.workerId, request.leaseId);
    this.remove([request.workerId], `worker ${request.workerId} left${request.reason ? `: ${request.reason}` : ''}`);
    return { membershipEpoch: this.current?.epoch ?? 0 };
  }

  private control(call: ServerWritableStream<ControlRequest, ControlEvent>): void {
    const { workerId, leaseId } = call.request;
    this.guard('Control', call)
      .then(() => {
        this.member('Control', workerId, leaseId);
        this.controls.get(workerId)?.end();
        this.controls.set(workerId, call);
        call.on('cancelled', () => {
          if (this.controls.get(workerId) === call) this.controls.delete(workerId);
        });
      })
      // grpc-js turns an 'error' event on a server stream into the call's status.
      .catch((e: unknown) => call.emit('error', toStatus(e)));
  }

  /**
   * Sends `event` to one worker's Control stream; false when it has none open.
   *
   * @example
   * ```ts
   * coordinator.sendControl('w-0', { membershipEpoch: 1, stepAssignment: { step: 0, ... } });
   * ```
   */
  sendControl(workerId: string, event: ControlEvent): boolean {
    const call = this.controls.get(workerId);
    if (!call) return false;
    call.write(event);
    return true;
  }

  /** Sends `event` to every member's Control stream. */
  broadcastControl(event: ControlEvent): void {
    for (const m of this.current?.members ?? []) this.sendControl(m.workerId, event);
  }

  /** Removes members (dead or gone): epoch + 1, ranks renumbered, survivors told. */
  private remove(workerIds: string[], reason: string): void {
    if (!this.current) return;
    for (const id of workerIds) {
      this.monitor.forget(id);
      this.controls.get(id)?.end();
      this.controls.delete(id);
    }
    this.current = withoutMembers(this.current, workerIds);
    trace(`${reason}; membership epoch ${this.current.epoch}, ${this.current.members.length} workers`, 'info');
    const membership = this.current;
    this.broadcastControl({
      membershipEpoch: membership.epoch,
      membershipChanged: { membershipEpoch: membership.epoch, worldSize: membership.members.length, members: membership.members.map(publicMember), lostWorkerIds: workerIds, reason },
    });
    this.emit('membership-changed', { membership, lostWorkerIds: workerIds, reason } satisfies MembershipChange);
  }

  /** Tells every worker to stop (Control `Shutdown`). */
  shutdownWorkers(reason: string, failed = false): void {
    this.broadcastControl({ membershipEpoch: this.current?.epoch ?? 0, shutdown: { reason, failed } });
  }

  /** Stops timers, fails pending joins, ends streams and stops the server. */
  async close(): Promise<void> {
    this.rendezvous.stop(new RendezvousError('RENDEZVOUS_CLOSED', 'the coordinator is shutting down'));
    this.monitor.stop();
    for (const call of this.controls.values()) call.end();
    this.controls.clear();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.server.forceShutdown(), SHUTDOWN_GRACE_MS);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
