/**
 * The sending half of a rank's ring: the `Peer` gRPC server. Its right neighbour calls
 * `Ring` with a hello; once the sink (the `RingAllReduce`) accepts it, every chunk this
 * rank sends goes down that call's response stream. A refused or broken call never
 * takes the server down: only that call ends, with a status naming the problem.
 */
import { Server, ServerCredentials, type ServerWritableStream, type ServerOptions } from '@grpc/grpc-js';
import { RingError, asError } from '../errors';
import { loadProtocol } from '../protocol/load-protocol';
import { toStatus } from '../protocol/rpc-status';
import type { AuthHook } from '../server/auth';
import { checkExposure } from '../security/exposure';
import { createTracer } from '../trace';
import { GRPC_MESSAGE_PREFIX_BYTES, decodeHello, type RingHello } from './chunk-codec';

const trace = createTracer('peer');

/**
 * How long `close()` lets open streams finish before cutting them. A rank that ends
 * its last collective first may still have chunks in flight to a right neighbour that
 * is busy computing and reads them later (HTTP/2 flow control holds them here until
 * it does); cutting its stream after 1 s made that neighbour see a lost peer and redo
 * the last step with fewer workers (seen in 2 of 8 three-worker runs on a loaded
 * 2-core machine). A graceful shutdown ends as soon as the streams are drained, so
 * the longer grace costs nothing when the neighbours keep up.
 */
export const PEER_SHUTDOWN_GRACE_MS = 10_000;

/** One `Ring` call: the stream to a right neighbour. */
export class OutboundStream {
  closed = false;
  /** Bytes written (messages plus gRPC's 5-byte prefix). */
  bytesSent = 0;

  constructor(
    readonly id: number,
    readonly peer: string,
    readonly hello: RingHello,
    private readonly call: ServerWritableStream<Buffer, Buffer>,
    private readonly finish: (error: Error | null) => void,
  ) {}

  /**
   * Queues one message. Writes are never held back waiting for the receiver (grpc-js
   * buffers them): a rank that waited on its right neighbour while not reading from
   * its left one could deadlock the ring.
   */
  write(message: Buffer, written?: () => void): void {
    if (this.closed) return;
    this.bytesSent += message.length + GRPC_MESSAGE_PREFIX_BYTES;
    // grpc-js has copied the message into its own frame once the callback runs.
    this.call.write(message, written);
  }

  /** Ends the stream with OK once the queued messages are sent. */
  end(): void {
    this.finish(null);
  }

  /** Ends the stream with `error`'s status. */
  abort(error: Error): void {
    this.finish(error);
  }
}

/** Decides about and hears from the `Ring` calls. */
export interface OutboundSink {
  /** A right neighbour asks for the stream; throwing a `RingError` refuses it with that status. */
  onSubscribe(stream: OutboundStream): void;
  /** The stream ended: `error` is null when this side ended it cleanly. */
  onSubscriberClosed(stream: OutboundStream, error: Error | null): void;
}

/** Options of a {@link PeerServer}. */
export interface PeerServerOptions {
  /** Checks each `Ring` call before its hello is read (the job's token). */
  authorize?: AuthHook;
  /** TLS; with a client CA, callers must present a certificate it signed. */
  credentials?: ServerCredentials;
  serverOptions?: ServerOptions;
}

/**
 * A worker's `Peer` server.
 *
 * @example
 * ```ts
 * const server = new PeerServer(sink, {});
 * const address = await server.listen('127.0.0.1', 0); // '127.0.0.1:41234'
 * ```
 */
export class PeerServer {
  private readonly server: Server;
  private nextStreamId = 0;

  constructor(
    private readonly sink: OutboundSink,
    private readonly options: PeerServerOptions,
  ) {
    this.server = new Server(options.serverOptions);
    this.server.addService(loadProtocol().peerService, { Ring: (call: ServerWritableStream<Buffer, Buffer>) => this.ring(call) });
  }

  /**
   * Binds `host:port` (port 0: an ephemeral port) and returns the bound address. A
   * host other than loopback needs an auth hook or mutual TLS (`InsecureBindError`):
   * anyone reaching this server could otherwise read every gradient the rank sends.
   */
  async listen(host: string, port: number): Promise<string> {
    checkExposure('Peer server', host, this.options);
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`${host}:${port}`, this.options.credentials ?? ServerCredentials.createInsecure(), (error, bound) => {
        if (error) reject(new RingError('RING_CLOSED', `Peer server: cannot listen on ${host}:${port}: ${error.message}`));
        else resolve(`${host}:${bound}`);
      });
    });
  }

  private ring(call: ServerWritableStream<Buffer, Buffer>): void {
    const id = this.nextStreamId++;
    const peer = call.getPeer();
    let stream: OutboundStream | null = null;
    let done = false;
    const finish = (error: Error | null): void => {
      if (done) return;
      done = true;
      if (stream) stream.closed = true;
      trace(() => `stream ${id} to ${peer} ended${error ? `: ${error.message}` : ''}`);
      // grpc-js turns an 'error' event on a server stream into the call's status.
      if (error) call.emit('error', toStatus(error));
      else call.end();
      if (stream) this.sink.onSubscriberClosed(stream, error);
    };
    call.on('cancelled', () => {
      if (done) return;
      done = true;
      if (!stream) return;
      stream.closed = true;
      this.sink.onSubscriberClosed(stream, new RingError('RING_PEER_LOST', `Peer.Ring: rank ${stream.hello.receiverRank} (${peer}) cancelled its ring stream`));
    });
    Promise.resolve()
      .then(() => this.options.authorize?.({ service: 'Peer', method: 'Ring', metadata: call.metadata, peer }))
      .then(() => {
        if (done) return;
        stream = new OutboundStream(id, peer, decodeHello(call.request), call, finish);
        this.sink.onSubscribe(stream);
        trace(() => `stream ${id} to rank ${stream?.hello.receiverRank} (${peer}) accepted`);
      })
      .catch((e: unknown) => {
        // A refused call never became the ring's stream: no sink notification.
        stream = null;
        finish(asError(e));
      });
  }

  /** Stops accepting calls; open ones get `PEER_SHUTDOWN_GRACE_MS` to end. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.server.forceShutdown(), PEER_SHUTDOWN_GRACE_MS);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
