/**
 * The worker's side of the `Coordinator` service: join, heartbeats, the event stream,
 * metrics and departure. Failed calls come back as the server's typed errors
 * (`RendezvousError` with the same `code`), see `protocol/rpc-status.ts`.
 */
import { EventEmitter, once } from 'node:events';
import { Client, Metadata, status as GrpcStatus, credentials as grpcCredentials, type ChannelCredentials, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { CoordinatorConfigError, CoordinatorError } from '../errors';
import { connectionHelp, deadlineWithReason, watchConnection, whyNotConnected } from './connection-probe';
import { CHECKPOINT_CHUNK_BYTES, CheckpointAssembly, checkpointChunks } from '../protocol/checkpoint-transfer';
import type { CheckpointChunk, CheckpointSaved, ControlEvent, ControlRequest, HeartbeatResponse, JoinRequest, JoinResponse, LeaveResponse, LoadCheckpointRequest, MetricsReport } from '../protocol/messages';
import { loadProtocol } from '../protocol/load-protocol';
import { PROTOCOL_VERSION } from '../protocol/protocol-version';
import { fromServiceError } from '../protocol/rpc-status';
import { DEFAULT_RENDEZVOUS_TIMEOUT_MS } from '../rendezvous/rendezvous';
import type { MetadataProvider } from '../server/auth';
import { createTracer } from '../trace';

const trace = createTracer('client');

/** Deadline of the short calls (Heartbeat excepted): a local choice, generous for loopback and LANs. */
export const DEFAULT_RPC_TIMEOUT_MS = 10_000;
/** Deadline of a checkpoint upload or download: a local choice, minutes for a GiB on a slow link. */
export const CHECKPOINT_UPLOAD_TIMEOUT_MS = 10 * 60_000;
/** Extra time a Join waits beyond the coordinator's rendezvous timeout, so the server's clearer error wins. */
export const JOIN_DEADLINE_MARGIN_MS = 5_000;

/** Options of {@link CoordinatorClient}. */
export interface CoordinatorClientOptions {
  /** TLS (default insecure). */
  credentials?: ChannelCredentials;
  /** Metadata attached to every call (for example `bearerTokenMetadata(token)`). */
  metadata?: MetadataProvider;
  /** Deadline of the short calls, Heartbeat excepted (default 10 s). */
  rpcTimeoutMs?: number;
}

/** What a worker sends to join; `protocolVersion` is filled in. */
export interface JoinOptions {
  workerId: string;
  jobSignature: string;
  peerAddress: string;
  requestedRank?: number;
  hostname?: string;
  /** A member of a running group joining again after a coordinator restart: its ring's epoch. */
  rejoinEpoch?: number;
  /** Wait for the coordinator to come up (default true); false fails at once with UNAVAILABLE. */
  waitForReady?: boolean;
  /** Join's deadline (default: torchrun's 600 s rendezvous timeout + 5 s). */
  timeoutMs?: number;
}

/** Identifies a member in later calls. */
export interface Lease {
  workerId: string;
  leaseId: string;
}

/**
 * A client of the coordinator.
 *
 * @example
 * ```ts
 * const client = new CoordinatorClient('127.0.0.1:7000');
 * const joined = await client.join({ workerId: 'w-0', jobSignature, peerAddress });
 * const stop = client.startHeartbeats(joined, { onError: (e) => console.error(e) });
 * ```
 */
export class CoordinatorClient {
  private readonly client: Client;
  private readonly rpcTimeoutMs: number;

  constructor(
    readonly address: string,
    private readonly options: CoordinatorClientOptions = {},
  ) {
    this.client = new Client(address, options.credentials ?? grpcCredentials.createInsecure());
    this.rpcTimeoutMs = options.rpcTimeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
  }

  private metadata(waitForReady: boolean): Metadata {
    const metadata = this.options.metadata?.() ?? new Metadata();
    if (waitForReady) metadata.setOptions({ waitForReady: true });
    return metadata;
  }

  private method(name: string): NonNullable<ReturnType<typeof loadProtocol>['coordinatorService'][string]> {
    const method = loadProtocol().coordinatorService[name];
    if (!method) throw new Error(`loom.v1.Coordinator has no ${name} method`);
    return method;
  }

  private unary<Res>(name: string, request: object, timeoutMs: number, waitForReady = false): Promise<Res> {
    const method = this.method(name);
    return new Promise((resolve, reject) => {
      let stopWatching = (): void => undefined;
      const settle = (fn: () => void): void => {
        stopWatching();
        fn();
      };
      const call = this.client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize as (b: Buffer) => Res,
        request,
        this.metadata(waitForReady),
        { deadline: Date.now() + timeoutMs },
        (error: ServiceError | null, response?: Res) => {
          if (!error) return settle(() => resolve(response as Res));
          const typed = fromServiceError(error, `Coordinator.${name}`);
          if (!waitForReady || error.code !== GrpcStatus.DEADLINE_EXCEEDED) return settle(() => reject(typed));
          // The channel may never have connected (a failed TLS handshake): say why.
          void whyNotConnected(this.client).then((reason) => settle(() => reject(reason ? deadlineWithReason(typed, this.address, reason) : typed)));
        },
      );
      if (!waitForReady) return;
      // Waiting for a coordinator that starts later is normal; a TLS handshake that fails
      // will fail until the deadline (10 minutes for Join): say so now, and stop.
      stopWatching = watchConnection(this.client, {
        onWaiting: (reason) => trace(`waiting for the coordinator at ${this.address}: ${reason}`, 'info'),
        onHandshakeFailure: (reason) => {
          stopWatching();
          reject(new CoordinatorError('RPC_FAILED', `Coordinator.${name}: UNAVAILABLE: cannot connect to the coordinator at ${this.address}: ${reason}`, connectionHelp(reason, 'the coordinator'), GrpcStatus.UNAVAILABLE));
          call.cancel();
        },
      });
    });
  }

  /** Joins the group; resolves once it is formed. Waits for the coordinator to come up. */
  join(options: JoinOptions): Promise<JoinResponse> {
    const request: JoinRequest = {
      protocolVersion: PROTOCOL_VERSION,
      workerId: options.workerId,
      jobSignature: options.jobSignature,
      peerAddress: options.peerAddress,
      hostname: options.hostname ?? '',
      ...(options.requestedRank !== undefined ? { requestedRank: options.requestedRank } : {}),
      ...(options.rejoinEpoch !== undefined ? { rejoinEpoch: options.rejoinEpoch } : {}),
    };
    trace(() => `join ${this.address} as ${options.workerId}`);
    return this.unary('Join', request, options.timeoutMs ?? DEFAULT_RENDEZVOUS_TIMEOUT_MS + JOIN_DEADLINE_MARGIN_MS, options.waitForReady ?? true);
  }

  /** One heartbeat, with a deadline of `timeoutMs`. */
  heartbeat(lease: Lease, state: { membershipEpoch: number; step: number }, timeoutMs = this.rpcTimeoutMs): Promise<HeartbeatResponse> {
    return this.unary('Heartbeat', { ...lease, ...state }, timeoutMs);
  }

  /**
   * Sends a heartbeat every `heartbeatIntervalMs` (each with that deadline) until the
   * returned function is called. `onError` hears every failed beat; `state` gives the
   * epoch and step to report.
   */
  startHeartbeats(joined: Lease & { heartbeatIntervalMs: number; membershipEpoch: number }, hooks: { onError: (e: Error) => void; state?: () => { membershipEpoch: number; step: number } }): () => void {
    if (!(joined.heartbeatIntervalMs > 0)) throw new CoordinatorConfigError(`startHeartbeats: heartbeatIntervalMs must be positive, got ${joined.heartbeatIntervalMs}`);
    const lease = { workerId: joined.workerId, leaseId: joined.leaseId };
    const state = hooks.state ?? (() => ({ membershipEpoch: joined.membershipEpoch, step: 0 }));
    let stopped = false;
    const timer = setInterval(() => {
      this.heartbeat(lease, state(), joined.heartbeatIntervalMs).catch((e: Error) => {
        // A beat still in flight when the loop stops (the channel closing) is no failure.
        if (!stopped) hooks.onError(e);
      });
    }, joined.heartbeatIntervalMs);
    // Heartbeats alone must not keep a finished worker process alive.
    timer.unref();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }

  /**
   * Opens this worker's event stream. The emitter emits `'event'` (ControlEvent),
   * `'error'` (a typed error) and `'end'`; call `cancel()` to close it.
   */
  control(lease: Lease): EventEmitter & { cancel(): void } {
    const method = this.method('Control');
    const request: ControlRequest = { workerId: lease.workerId, leaseId: lease.leaseId };
    const call: ClientReadableStream<ControlEvent> = this.client.makeServerStreamRequest(method.path, method.requestSerialize, method.responseDeserialize as (b: Buffer) => ControlEvent, request, this.metadata(false), {});
    let cancelled = false;
    const events = Object.assign(new EventEmitter(), {
      cancel: () => {
        cancelled = true;
        call.cancel();
      },
    });
    call.on('data', (event: ControlEvent) => events.emit('event', event));
    call.on('error', (e: ServiceError) => {
      if (!cancelled) events.emit('error', fromServiceError(e, 'Coordinator.Control'));
    });
    call.on('end', () => events.emit('end'));
    return events;
  }

  /** Sends one step's metrics. */
  reportMetrics(report: MetricsReport): Promise<void> {
    return this.unary('ReportMetrics', report, this.rpcTimeoutMs);
  }

  /** Sends several steps' metrics in one call. */
  reportMetricsBatch(reports: MetricsReport[]): Promise<void> {
    return this.unary('ReportMetricsBatch', { reports }, this.rpcTimeoutMs);
  }

  /**
   * Uploads a checkpoint (the bytes of an encoded `loom.v1.Checkpoint`) in chunks of
   * `chunkBytes`, waiting for the stream to drain between chunks; resolves with where
   * the coordinator saved it.
   */
  async saveCheckpoint(lease: Lease, position: { step: number; epoch: number; batch: number }, bytes: Uint8Array, chunkBytes = CHECKPOINT_CHUNK_BYTES): Promise<CheckpointSaved> {
    const method = this.method('SaveCheckpoint');
    let settle: { resolve: (v: CheckpointSaved) => void; reject: (e: Error) => void } | null = null;
    const done = new Promise<CheckpointSaved>((resolve, reject) => (settle = { resolve, reject }));
    const stream = this.client.makeClientStreamRequest(method.path, method.requestSerialize, method.responseDeserialize as (b: Buffer) => CheckpointSaved, this.metadata(false), { deadline: Date.now() + CHECKPOINT_UPLOAD_TIMEOUT_MS }, (error: ServiceError | null, response?: CheckpointSaved) =>
      error ? settle?.reject(fromServiceError(error, 'Coordinator.SaveCheckpoint')) : settle?.resolve(response as CheckpointSaved),
    );
    // Awaited at the end; until then a refusal must not count as unhandled.
    done.catch(() => undefined);
    for (const chunk of checkpointChunks(bytes, { ...lease, step: position.step, trainEpoch: position.epoch, batch: position.batch }, chunkBytes)) {
      if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), done]);
    }
    stream.end();
    trace(() => `checkpoint of step ${position.step}: ${bytes.length} bytes sent`);
    return done;
  }

  /**
   * Downloads the checkpoint a resumed coordinator offers (`JoinResponse.resumeCheckpoint`),
   * checking order, size and SHA-256; resolves with its bytes and description.
   */
  loadCheckpoint(lease: Lease): Promise<{ bytes: Buffer; first: CheckpointChunk }> {
    const method = this.method('LoadCheckpoint');
    const request: LoadCheckpointRequest = { workerId: lease.workerId, leaseId: lease.leaseId };
    return new Promise((resolve, reject) => {
      const call: ClientReadableStream<CheckpointChunk> = this.client.makeServerStreamRequest(method.path, method.requestSerialize, method.responseDeserialize as (b: Buffer) => CheckpointChunk, request, this.metadata(false), {
        deadline: Date.now() + CHECKPOINT_UPLOAD_TIMEOUT_MS,
      });
      let assembly: CheckpointAssembly | null = null;
      let failed = false;
      const fail = (e: Error): void => {
        if (failed) return;
        failed = true;
        call.cancel();
        reject(e);
      };
      call.on('data', (chunk: CheckpointChunk) => {
        try {
          assembly ??= new CheckpointAssembly('LoadCheckpoint', chunk);
          assembly.add(chunk);
        } catch (e) {
          fail(e as Error);
        }
      });
      call.on('error', (e: ServiceError) => fail(fromServiceError(e, 'Coordinator.LoadCheckpoint')));
      call.on('end', () => {
        if (failed) return;
        try {
          if (!assembly) throw new CoordinatorError('CHECKPOINT_REJECTED', 'LoadCheckpoint: the coordinator sent no chunks');
          resolve({ bytes: assembly.bytes(), first: assembly.first });
        } catch (e) {
          fail(e as Error);
        }
      });
    });
  }

  /** Leaves the group. */
  leave(lease: Lease, reason = ''): Promise<LeaveResponse> {
    return this.unary('Leave', { ...lease, reason }, this.rpcTimeoutMs);
  }

  /** Closes the channel. */
  close(): void {
    this.client.close();
  }
}
