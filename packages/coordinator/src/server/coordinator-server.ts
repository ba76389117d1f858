/**
 * The coordinator's gRPC server: rendezvous (`Join`), liveness (`Heartbeat`), per-worker
 * event streams (`Control`), metrics (`ReportMetrics`, `ReportMetricsBatch`), checkpoints
 * (`SaveCheckpoint`, `LoadCheckpoint`: `checkpoint-rpcs.ts`) and
 * departures (`Leave`). Every
 * handler checks the auth hook first and answers a bad request with a status; none can
 * throw out of the server. NOTE [Rendezvous and ring] in `ring/ring-schedule.ts` shows
 * how workers use it.
 */
import { EventEmitter } from 'node:events';
import { Server, ServerCredentials, type ServerReadableStream, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData, type UntypedHandleCall } from '@grpc/grpc-js';
import { ElasticError, RendezvousError, checkInteger } from '../errors';
import type { CheckpointChunk, CheckpointSaved, ControlEvent, ControlRequest, HeartbeatRequest, HeartbeatResponse, JoinRequest, JoinResponse, LeaveRequest, LeaveResponse, LoadCheckpointRequest, MetricsBatch, MetricsReport } from '../protocol/messages';
import { loadProtocol } from '../protocol/load-protocol';
import { toStatus } from '../protocol/rpc-status';
import { admitIntoRunning } from '../rendezvous/admission';
import { withoutMembers, type MemberRecord, type Membership } from '../rendezvous/membership';
import { Rendezvous } from '../rendezvous/rendezvous';
import { createTracer } from '../trace';
import { checkExposure } from '../security/exposure';
import { coordinatorServerOptions } from '../security/limits';
import { CheckpointRpcs } from './checkpoint-rpcs';
import { DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_HEARTBEAT_TIMEOUT_MS, SHUTDOWN_GRACE_MS, type CoordinatorServerOptions, type MembershipChange, type MetricsEvent } from './coordinator-options';
import { ControlStreams } from './control-streams';
import { HeartbeatMonitor } from './heartbeat-monitor';
import { joinResponse, membershipChangedEvent } from './membership-messages';
import { MetricsAggregator, type StepMetrics } from './metrics-aggregator';

const trace = createTracer('coordinator');

/**
 * The coordinator. Events: `'formed'` (Membership), `'membership-changed'`
 * (MembershipChange), `'metrics'` (MetricsEvent), `'rendezvous-failed'` (RendezvousError),
 * `'group-failed'` (ElasticError: fewer than `minWorkers` survive a failure),
 * `'checkpoint'` (CheckpointEvent: a checkpoint uploaded by rank 0 was saved),
 * `'step-metrics'` (StepMetrics: one step of the whole group, see `metrics-aggregator.ts`).
 *
 * A member is lost when its heartbeat deadline passes (a hung or partitioned worker)
 * or, sooner, when its Control stream breaks (the process died: the kernel closes its
 * sockets). Survivors hear of it on Control and re-form the ring at the next epoch
 * (NOTE [Elastic recovery] in `worker/elastic-recovery.ts`).
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
  private readonly checkpoints: CheckpointRpcs;
  private readonly aggregator = new MetricsAggregator((m: StepMetrics) => this.emit('step-metrics', m));
  private readonly heartbeatIntervalMs: number;
  private readonly controls = new ControlStreams();
  private current: Membership | null = null;
  private readonly readyPromise: Promise<Membership>;
  private address: string | null = null;
  private closing = false;
  /** Workers removed from the group (dead, hung or left): refused with NOT_A_MEMBER, not re-admitted. */
  private readonly removed = new Set<string>();
  private groupFailure: ElasticError | null = null;

  constructor(private readonly options: CoordinatorServerOptions) {
    super();
    this.rendezvous = new Rendezvous({ ...options, timeoutMs: options.rendezvousTimeoutMs });
    this.heartbeatIntervalMs = checkInteger('CoordinatorServer', 'heartbeatIntervalMs', options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS, 1);
    const timeoutMs = checkInteger('CoordinatorServer', 'heartbeatTimeoutMs', options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS, this.heartbeatIntervalMs);
    this.monitor = new HeartbeatMonitor(timeoutMs, (workerId) => this.remove([workerId], `worker ${workerId} missed its heartbeat deadline of ${timeoutMs} ms`, true));
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
    this.checkpoints = new CheckpointRpcs(options, (rpc, workerId, leaseId) => this.member(rpc, workerId, leaseId), (e) => this.emit('checkpoint', e));
    // Message size and per-client rate limits: see security/limits.ts.
    this.server = new Server(coordinatorServerOptions(options));
    const handlers: Record<string, UntypedHandleCall> = {
      Join: this.unary('Join', (req: JoinRequest, call) => this.join(req, call)),
      Heartbeat: this.unary('Heartbeat', (req: HeartbeatRequest) => this.heartbeat(req)),
      ReportMetrics: this.unary('ReportMetrics', (req: MetricsReport) => this.metrics(req)),
      ReportMetricsBatch: this.unary('ReportMetricsBatch', (req: MetricsBatch) => (req.reports.forEach((r) => this.metrics(r)), {})),
      Leave: this.unary('Leave', (req: LeaveRequest) => this.leave(req)),
      Control: (call: ServerWritableStream<ControlRequest, ControlEvent>) => this.control(call),
      LoadCheckpoint: (call: ServerWritableStream<LoadCheckpointRequest, CheckpointChunk>) =>
        this.guard('LoadCheckpoint', call)
          .then(() => this.checkpoints.load(call))
          .catch((e: unknown) => call.emit('error', toStatus(e))),
      SaveCheckpoint: (call: ServerReadableStream<CheckpointChunk, CheckpointSaved>, callback: sendUnaryData<CheckpointSaved>) =>
        this.guard('SaveCheckpoint', call)
          .then(() => this.checkpoints.save(call))
          .then(
            (saved) => callback(null, saved),
            (e: unknown) => callback(toStatus(e), null),
          ),
    };
    this.server.addService(loadProtocol().coordinatorService, handlers);
  }

  /** Binds the server and starts the rendezvous clock; returns "host:port". */
  start(): Promise<string> {
    const host = this.options.host ?? '127.0.0.1';
    const port = checkInteger('CoordinatorServer', 'port', this.options.port ?? 0, 0, 65535);
    return new Promise((resolve, reject) => {
      // Thrown here, the InsecureBindError rejects the promise.
      checkExposure('CoordinatorServer', host, this.options);
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
    if (this.current) return this.admit(request);
    const pending = this.rendezvous.join(request);
    const onCancel = (): void => this.rendezvous.cancel(request.workerId);
    call.on('cancelled', onCancel);
    try {
      const { membership, member, joinsRunningReplicas } = await pending;
      // A new worker in a group of workers re-joining a restarted coordinator takes their
      // (newer) in-memory state, as one admitted into a running group, not the checkpoint.
      return { ...this.joinResponse(membership, member), joinedRunning: joinsRunningReplicas };
    } finally {
      call.off('cancelled', onCancel);
    }
  }

  /** A Join after the group formed: a new member of the running group (see `rendezvous/admission.ts`). */
  private admit(request: JoinRequest): JoinResponse {
    if (this.groupFailure) throw new RendezvousError('RENDEZVOUS_CLOSED', `Join from worker "${request.workerId}": the job failed: ${this.groupFailure.message}`);
    const { membership, member } = admitIntoRunning(this.current as Membership, request, { maxWorkers: this.rendezvous.maxWorkers, removed: this.removed });
    const reason = `worker ${member.workerId} joined the running group as rank ${member.rank}`;
    this.current = membership;
    trace(`${reason}; membership epoch ${membership.epoch}, ${membership.members.length} workers`, 'info');
    this.broadcastControl(membershipChangedEvent(membership, [], reason, false));
    this.monitor.watch(member.workerId);
    this.emit('membership-changed', { membership, lostWorkerIds: [], reason, failure: false } satisfies MembershipChange);
    return { ...this.joinResponse(membership, member), joinedRunning: true };
  }

  private joinResponse(membership: Membership, member: MemberRecord): JoinResponse {
    const { jobPath, trainingConfig } = this.options;
    const settings = { heartbeatIntervalMs: this.heartbeatIntervalMs, heartbeatTimeoutMs: this.monitor.timeoutMs, jobPath, trainingConfig, resumeCheckpoint: this.checkpoints.resumeInfo };
    return joinResponse(membership, member, settings);
  }

  /** The member holding `leaseId`, or a NOT_A_MEMBER error naming the RPC. */
  private member(rpc: string, workerId: string, leaseId: string): MemberRecord {
    const m = this.current?.members.find((x) => x.leaseId === leaseId && x.workerId === workerId);
    if (!m && !this.removed.has(workerId) && !this.current?.members.some((x) => x.workerId === workerId)) {
      throw new RendezvousError('UNKNOWN_WORKER', `${rpc}: this coordinator never admitted worker "${workerId}"${this.current ? '' : ' (the group has not formed)'}; it may have been restarted`, 'a worker of a running group joins again (it does so by itself, with backoff)');
    }
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
    this.aggregator.add(report, this.current?.members.length ?? 1);
    return {};
  }

  private leave(request: LeaveRequest): LeaveResponse {
    this.member('Leave', request.workerId, request.leaseId);
    this.remove([request.workerId], `worker ${request.workerId} left${request.reason ? `: ${request.reason}` : ''}`, false);
    return { membershipEpoch: this.current?.epoch ?? 0 };
  }

  private control(call: ServerWritableStream<ControlRequest, ControlEvent>): void {
    const { workerId, leaseId } = call.request;
    this.guard('Control', call)
      .then(() => {
        this.member('Control', workerId, leaseId);
        this.controls.attach(workerId, call, () => {
          // A worker closes its stream only after Leave, so a member whose stream breaks
          // has died or lost the network: act now rather than at the heartbeat deadline.
          if (!this.closing && this.current?.members.some((m) => m.workerId === workerId && m.leaseId === leaseId)) {
            this.remove([workerId], `worker ${workerId}'s control stream broke (the process exited or its connection was lost)`, true);
          }
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
    return this.controls.send(workerId, event);
  }

  /** Sends `event` to every member's Control stream. */
  broadcastControl(event: ControlEvent): void {
    for (const m of this.current?.members ?? []) this.sendControl(m.workerId, event);
  }

  /** Set when fewer than `minWorkers` survived a failure: the job cannot go on. */
  get failure(): ElasticError | null {
    return this.groupFailure;
  }

  /**
   * Removes members (dead, hung or gone): epoch + 1, ranks renumbered, survivors told.
   * After a `failure` that leaves fewer than `minWorkers`, the group is shut down.
   */
  private remove(workerIds: string[], reason: string, failure: boolean): void {
    if (!this.current || this.closing) return;
    workerIds = workerIds.filter((id) => this.current?.members.some((m) => m.workerId === id));
    if (workerIds.length === 0) return;
    for (const id of workerIds) {
      this.removed.add(id);
      this.monitor.forget(id);
      this.controls.end(id);
    }
    this.current = withoutMembers(this.current, workerIds);
    trace(`${reason}; membership epoch ${this.current.epoch}, ${this.current.members.length} workers`, 'info');
    const membership = this.current;
    this.broadcastControl(membershipChangedEvent(membership, workerIds, reason, !failure));
    this.emit('membership-changed', { membership, lostWorkerIds: workerIds, reason, failure } satisfies MembershipChange);
    const min = this.rendezvous.minWorkers;
    if (failure && membership.members.length < min && !this.groupFailure) {
      this.groupFailure = new ElasticError('GROUP_FAILED', `${membership.members.length} workers left after ${reason}, fewer than minWorkers=${min}`, 'lower --min-workers to let training continue with fewer workers, or restart the lost workers and resume from the last checkpoint');
      trace(this.groupFailure.message, 'info');
      this.shutdownWorkers(this.groupFailure.message, true);
      if (this.listenerCount('group-failed') > 0) this.emit('group-failed', this.groupFailure);
    }
  }

  /** Tells every worker to stop (Control `Shutdown`). */
  shutdownWorkers(reason: string, failed = false): void {
    this.broadcastControl({ membershipEpoch: this.current?.epoch ?? 0, shutdown: { reason, failed } });
  }

  /** Stops timers, fails pending joins, ends streams and stops the server. */
  async close(): Promise<void> {
    this.closing = true;
    this.aggregator.flushAll();
    this.rendezvous.stop(new RendezvousError('RENDEZVOUS_CLOSED', 'the coordinator is shutting down'));
    this.monitor.stop();
    this.controls.endAll();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.server.forceShutdown(), SHUTDOWN_GRACE_MS);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
