/**
 * The receiving half of a rank's ring: one `Peer.Ring` call to the left neighbour,
 * whose response stream carries every chunk the left neighbour sends during the
 * membership epoch. The client raises its HTTP/2 flow-control window, which grpc-js
 * allows only on the client side: that is why data flows from server to client.
 */
import { Client, Metadata, credentials as grpcCredentials, type ChannelCredentials, type ClientOptions, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { connectionHelp, whyNotConnected } from '../client/connection-probe';
import { RingError, asError } from '../errors';
import { fromServiceError } from '../protocol/rpc-status';
import { loadProtocol } from '../protocol/load-protocol';
import type { MetadataProvider } from '../server/auth';
import { createTracer } from '../trace';
import { GRPC_MESSAGE_PREFIX_BYTES } from './chunk-codec';

const trace = createTracer('ring');

/**
 * HTTP/2 receive window of the ring stream. Measured on loopback (tools/bench): with
 * the 64 KiB default a 1 MiB-chunk stream peaks near 350 MB/s, with 16 MiB above
 * 1.2 GB/s, and a receiver busy adding a chunk no longer stalls its sender.
 */
export const FLOW_CONTROL_WINDOW_BYTES = 16 * 1024 * 1024;

/*
 * NOTE [Handling chunks in slices]
 * ================================
 * Node's HTTP/2 session hands queued writes to the socket in the event loop's check
 * phase. A rank that handled every arriving chunk at once, in the poll phase, would
 * keep the chunks it had queued for its right neighbour (its own reduce-scatter share,
 * the all-gather forwards) unsent for the whole burst, and the neighbour would idle
 * that long: with two ranks they took turns instead of working together (a 100 MiB
 * all-reduce spent a third of its time idle on each rank, tools/bench/allreduce.js).
 * So arriving messages are queued and handled from a setImmediate in slices of
 * HANDLE_SLICE_MS, and the writes queued by one slice leave before the next slice runs.
 */
/** Longest run of chunk handling between two chances for queued writes to leave. */
export const HANDLE_SLICE_MS = 2;

/** Options of a {@link PeerLink}. */
export interface PeerLinkOptions {
  credentials?: ChannelCredentials;
  metadata?: MetadataProvider;
  channelOptions?: ClientOptions;
  /** Handles one message; throwing ends the link with that error. */
  onMessage: (message: Buffer) => void;
  /** Called once when the stream ends: null for a clean end by the sender. */
  onClosed: (error: RingError | null) => void;
}

/** Longest single wait for the channel to connect (see `waitForReady`). */
const READY_WAIT_SLICE_MS = 1_000;

/**
 * The stream from the left neighbour's `Peer` server.
 *
 * @example
 * ```ts
 * const link = new PeerLink('127.0.0.1:50051', { onMessage, onClosed });
 * link.open(encodeHello(hello));
 * await link.waitForReady(30_000);
 * ```
 */
export class PeerLink {
  private readonly client: Client;
  private call: ClientReadableStream<Buffer> | null = null;
  private closed = false;
  private markEnded: () => void = () => undefined;
  /** Resolves when the stream has ended, however it ended. */
  readonly ended = new Promise<void>((resolve) => (this.markEnded = resolve));
  /** Bytes received (messages plus gRPC's 5-byte prefix). */
  bytesReceived = 0;
  /** Messages received and not handled yet (NOTE [Handling chunks in slices]). */
  private readonly queue: Buffer[] = [];
  private handling = false;
  /** How the stream ended while messages were still queued: closed once they are handled. */
  private endedWith: RingError | null | undefined = undefined;
  /** Fails a pending `waitForReady` (set while one is pending). */
  private stopWaiting: (() => void) | null = null;
  /** The error the stream ended with, once it did. */
  private closedWith: RingError | null = null;

  constructor(
    readonly address: string,
    private readonly options: PeerLinkOptions,
  ) {
    this.client = new Client(address, options.credentials ?? grpcCredentials.createInsecure(), { 'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES, ...options.channelOptions });
  }

  /**
   * Resolves once the channel is connected; fails after `timeoutMs`, or at once when the
   * link is cancelled meanwhile (a newer membership: the neighbour may be dead, and the
   * ring must move on rather than wait for the deadline).
   */
  waitForReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(this.whyClosed());
      this.stopWaiting = () => reject(this.whyClosed());
      const attempt = (): void => {
        // In slices: a channel closed during grpc-js's waitForReady keeps that wait's
        // timer, which would hold the process open until the whole deadline.
        this.client.waitForReady(Math.min(deadline, Date.now() + READY_WAIT_SLICE_MS), (error) => {
          if (this.closed) return reject(this.whyClosed());
          if (error && Date.now() < deadline) return attempt();
          this.stopWaiting = null;
          if (!error) return resolve();
          const unreachable = `Peer.Ring: left neighbour at ${this.address} not reachable within ${timeoutMs} ms: ${error.message}`;
          // Say why the channel never connected (a refused port, a failed TLS handshake).
          void whyNotConnected(this.client).then((reason) =>
            reject(reason ? new RingError('RING_PEER_LOST', `${unreachable}; ${reason}`, connectionHelp(reason, 'the left neighbour')) : new RingError('RING_PEER_LOST', unreachable, 'check that every worker started its Peer server and that the address is reachable')),
          );
        });
      };
      attempt();
    });
  }

  /** Calls `Ring` with `hello`; messages then arrive through `onMessage`. */
  open(hello: Buffer): void {
    const method = loadProtocol().peerService['Ring'];
    if (!method) throw new Error('loom.v1.Peer has no Ring method');
    const metadata = this.options.metadata?.() ?? new Metadata();
    // The neighbour may still be starting: queue the call until the channel is up.
    metadata.setOptions({ waitForReady: true });
    const call = this.client.makeServerStreamRequest<Buffer, Buffer>(method.path, (b: Buffer) => b, (b: Buffer) => b, hello, metadata, {});
    this.call = call;
    call.on('data', (message: Buffer) => {
      if (this.closed) return;
      this.bytesReceived += message.length + GRPC_MESSAGE_PREFIX_BYTES;
      this.queue.push(message);
      this.scheduleHandling();
    });
    call.on('error', (e: ServiceError) => {
      const typed = fromServiceError(e, 'Peer.Ring');
      this.endAfterQueue(new RingError(typed.code === 'RPC_FAILED' ? 'RING_PEER_LOST' : typed.code, `left neighbour at ${this.address} ended the ring stream: ${typed.message}`));
    });
    call.on('end', () => this.endAfterQueue(null));
  }

  private scheduleHandling(): void {
    if (this.handling) return;
    this.handling = true;
    setImmediate(() => this.handleSlice());
  }

  /** Handles queued messages for up to HANDLE_SLICE_MS, then yields to the event loop. */
  private handleSlice(): void {
    this.handling = false;
    const started = performance.now();
    while (!this.closed && this.queue.length > 0) {
      const message = this.queue.shift() as Buffer;
      try {
        this.options.onMessage(message);
      } catch (e) {
        const error = asError(e);
        this.close(error instanceof RingError ? error : new RingError('RING_MALFORMED_CHUNK', error.message));
        return;
      }
      if (this.queue.length > 0 && performance.now() - started > HANDLE_SLICE_MS) return this.scheduleHandling();
    }
    if (this.endedWith !== undefined) this.close(this.endedWith);
  }

  /** The stream ended: close once the messages that came before the end are handled. */
  private endAfterQueue(error: RingError | null): void {
    if (this.closed || this.endedWith !== undefined) return;
    this.endedWith = error;
    if (this.queue.length === 0 && !this.handling) this.close(error);
  }

  private close(error: RingError | null): void {
    if (this.closed) return;
    this.closed = true;
    this.closedWith = error;
    this.stopWaiting?.();
    this.stopWaiting = null;
    this.queue.length = 0;
    if (error) this.call?.cancel();
    trace(() => `stream from ${this.address} closed after ${this.bytesReceived} bytes${error ? `: ${error.message}` : ''}`);
    this.options.onClosed(error);
    this.client.close();
    this.markEnded();
  }

  /** Why a pending `waitForReady` ends early: the stream's error, or this rank gave up on it. */
  private whyClosed(): RingError {
    return this.closedWith ?? new RingError('RING_CLOSED', `Peer.Ring: stopped connecting to the left neighbour at ${this.address}: the ring was stopped or re-formed`);
  }

  /** Stops receiving (this rank is done or the ring is re-formed); `onClosed` is not called. */
  cancel(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopWaiting?.();
    this.stopWaiting = null;
    this.queue.length = 0;
    this.call?.cancel();
    this.client.close();
    this.markEnded();
  }
}
