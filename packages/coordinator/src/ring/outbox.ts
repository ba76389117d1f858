/**
 * What a rank sends to its right neighbour: chunks are encoded into pooled buffers
 * and written to the neighbour's `Ring` call, or held until that call arrives (the
 * neighbour may get its JoinResponse later than this rank starts sending).
 */
import { FLOAT32_BYTES } from './buckets';
import { GRPC_MESSAGE_PREFIX_BYTES, encodeChunk, maxChunkMessageBytes, type ChunkHeader } from './chunk-codec';
import type { OutboundStream } from './peer-server';
import { SHARED_MEMORY_MIN_PAYLOAD_BYTES, type SharedMemoryWriter } from './shared-memory';

/**
 * Encode buffers kept for reuse. Reusing them instead of allocating 1 MiB per chunk
 * cut the garbage collector's share of a 100 MB all-reduce from ~18% of CPU time to
 * ~5% (profiled, tools/bench); 64 covers a 25 MiB bucket's reduce-scatter burst.
 */
export const ENCODE_POOL_SIZE = 64;

/**
 * The sending side of one membership epoch.
 *
 * @example
 * ```ts
 * const outbox = new Outbox(chunkBytes);
 * outbox.send(header, values); // held
 * outbox.attach(stream);       // written now, and every later chunk at once
 * ```
 */
export class Outbox {
  private stream: OutboundStream | null = null;
  private readonly held: { message: Buffer; written: () => void }[] = [];
  private readonly pool: Buffer[] = [];
  private readonly pooledBytes: number;
  /** Where payloads go when the neighbour shares this host (NOTE [Shared-memory payloads]). */
  private writer: SharedMemoryWriter | null = null;
  /** Bytes sent or held: messages plus gRPC's 5-byte prefix each, and payloads sent through shared memory. */
  bytesSent = 0;
  /** The part of {@link bytesSent} that went through shared memory. */
  bytesSentSharedMemory = 0;

  constructor(chunkBytes: number) {
    this.pooledBytes = maxChunkMessageBytes(chunkBytes / FLOAT32_BYTES);
  }

  /** Whether a right neighbour's call is attached and open. */
  get attached(): boolean {
    return this.stream !== null && !this.stream.closed;
  }

  /** Encodes one chunk (copying `values`) and writes or holds it. */
  send(header: ChunkHeader, values: Float32Array): void {
    if (this.writer && this.stream && values.byteLength >= SHARED_MEMORY_MIN_PAYLOAD_BYTES) {
      // The payload is in the file before the message that names it is queued.
      const file = this.writer.write(values);
      if (file !== null) {
        const message = encodeChunk(header, values, undefined, file);
        this.bytesSent += message.length + GRPC_MESSAGE_PREFIX_BYTES + values.byteLength;
        this.bytesSentSharedMemory += values.byteLength;
        this.stream.write(message);
        return;
      }
    }
    // Chunks forwarded from a neighbour configured with larger chunks do not fit the pool.
    const size = maxChunkMessageBytes(values.length);
    const poolable = size <= this.pooledBytes;
    const buffer = (poolable ? this.pool.pop() : undefined) ?? Buffer.allocUnsafe(poolable ? this.pooledBytes : size);
    const message = encodeChunk(header, values, buffer);
    const written = (): void => {
      if (poolable && this.pool.length < ENCODE_POOL_SIZE) this.pool.push(buffer);
    };
    this.bytesSent += message.length + GRPC_MESSAGE_PREFIX_BYTES;
    if (this.stream) this.stream.write(message, written);
    else this.held.push({ message, written });
  }

  /**
   * Starts writing to `stream`, held chunks first; with `writer`, later payloads go
   * through the neighbour's shared-memory directory.
   */
  attach(stream: OutboundStream, writer: SharedMemoryWriter | null = null): void {
    this.stream = stream;
    this.writer = writer;
    for (const { message, written } of this.held.splice(0)) stream.write(message, written);
  }

  /** Forgets `stream` if it is the attached one; returns whether it was. */
  detach(stream: OutboundStream): boolean {
    if (stream !== this.stream) return false;
    this.stream = null;
    this.writer = null;
    return true;
  }

  /** Ends the stream with OK after the queued chunks. */
  end(): void {
    this.stream?.end();
  }

  /** Ends the stream with `error`'s status and drops held chunks. */
  abort(error: Error): void {
    this.held.length = 0;
    this.stream?.abort(error);
    this.stream = null;
    this.writer = null;
  }
}
