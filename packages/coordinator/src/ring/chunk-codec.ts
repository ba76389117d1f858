/**
 * Encoding and decoding of the `Peer.Ring` call's messages (`loom.v1.RingHello`, then
 * `loom.v1.GradientChunk`s) with the protobufjs types loaded from the `.proto`. The
 * payload is never converted element by element: it is written from a Buffer view of
 * the Float32Array and read back as a view of the received message (`readFloat32`).
 */
import * as os from 'node:os';
import { RingError } from '../errors';
import { loadProtocol } from '../protocol/load-protocol';
import type { Phase } from './ring-schedule';
import type { SharedMemoryOffer } from './shared-memory';

/** `ChunkDType.CHUNK_DTYPE_FLOAT32` of the `.proto`. */
export const CHUNK_DTYPE_FLOAT32 = 1;

/**
 * Bytes gRPC adds to every message on the stream (1 compression flag + 4 length bytes,
 * from the gRPC over HTTP/2 spec); counted in the byte counters with the message.
 */
export const GRPC_MESSAGE_PREFIX_BYTES = 5;

// Payloads are float32 little-endian on the wire and are copied as raw bytes.
if (os.endianness() !== 'LE') throw new Error('@loom/coordinator: the ring requires a little-endian host');

const EMPTY = Buffer.alloc(0);

/** A decoded `RingHello`. */
export interface RingHello {
  protocolVersion: number;
  membershipEpoch: number;
  receiverRank: number;
  worldSize: number;
  receiverWorkerId: string;
  /** Where the caller accepts payloads through shared memory (NOTE [Shared-memory payloads]). */
  sharedMemory?: SharedMemoryOffer | null;
}

/** A `GradientChunk`'s header: everything but the payload. */
export interface ChunkHeader {
  membershipEpoch: number;
  collectiveId: number;
  step: number;
  bucketId: number;
  phase: Phase;
  ringStep: number;
  chunkIndex: number;
  bucketLength: number;
  offset: number;
  rootRank: number;
}

/** A decoded `GradientChunk`. */
export interface RingChunk extends ChunkHeader {
  dtype: number;
  length: number;
  /** The payload: a view into the received message (empty when in a shared-memory file). */
  data: Buffer;
  /** The shared-memory file holding the payload, or '' when it is in `data`. */
  sharedMemoryFile: string;
  /** Hands `data`'s memory back for reuse once the chunk is applied (shared-memory payloads). */
  release?: () => void;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** 64-bit fields decode to numbers or protobufjs `Long`s; ids and steps fit in 2^53. */
function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  return (value as { toNumber(): number }).toNumber();
}

/** An empty `bytes` field is not on the wire (proto3) and decodes as protobufjs' default, an empty array. */
function payload(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return toBuffer(value);
  return EMPTY;
}

function decode(typeName: 'ringHello' | 'gradientChunk', bytes: Buffer): Record<string, unknown> {
  const type = loadProtocol()[typeName];
  try {
    return type.decode(bytes) as unknown as Record<string, unknown>;
  } catch (e) {
    throw new RingError('RING_MALFORMED_CHUNK', `Peer.Ring: a message of ${bytes.length} bytes is not a ${type.fullName.slice(1)}: ${(e as Error).message}`);
  }
}

/**
 * Encodes the request of a Ring call.
 *
 * @example
 * ```ts
 * encodeHello({ protocolVersion: 1, membershipEpoch: 1, receiverRank: 1, worldSize: 2, receiverWorkerId: 'w-1' });
 * ```
 */
export function encodeHello(hello: RingHello): Buffer {
  return toBuffer(loadProtocol().ringHello.encode(hello).finish());
}

/** Decodes the request of a Ring call. */
export function decodeHello(bytes: Buffer): RingHello {
  const h = decode('ringHello', bytes);
  const offer = h['sharedMemory'] as { directory?: string; nonce?: Uint8Array } | undefined;
  return {
    protocolVersion: h['protocolVersion'] as number,
    membershipEpoch: toNumber(h['membershipEpoch']),
    receiverRank: h['receiverRank'] as number,
    worldSize: h['worldSize'] as number,
    receiverWorkerId: h['receiverWorkerId'] as string,
    sharedMemory: offer ? { directory: offer.directory ?? '', nonce: payload(offer.nonce) } : null,
  };
}

/** Writes `value` as a protobuf varint at `offset`; returns the offset after it. */
function writeVarint(target: Buffer, offset: number, value: number): number {
  let v = value;
  while (v > 0x7f) {
    target[offset++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  target[offset++] = v;
  return offset;
}

/** Bytes of `value` as a varint. */
function varintBytes(value: number): number {
  let n = 1;
  for (let v = value; v > 0x7f; v = Math.floor(v / 128)) n++;
  return n;
}

/**
 * Bound of a GradientChunk's fields other than `data`, encoded: 13 tags, at most three
 * 64-bit varints (10 bytes), eight 32-bit ones (5 bytes), the data tag and length, and
 * a shared-memory file name (tag, length, "c" and up to 15 digits).
 */
const CHUNK_HEADER_BYTES_BOUND = 13 + 3 * 10 + 8 * 5 + 1 + 5 + 18;

/** Largest encoded size of a chunk of `elements` values (header fields included). */
export function maxChunkMessageBytes(elements: number): number {
  return CHUNK_HEADER_BYTES_BOUND + elements * 4;
}

/**
 * Encodes one chunk of float32 `values` (copied into the message): the header fields
 * with protobufjs, then the `data` field (its number read from the loaded `.proto`)
 * written straight from the Float32Array's bytes. `target`, when given, must hold
 * `maxChunkMessageBytes(values.length)` bytes; the message is a view of it.
 *
 * @example
 * ```ts
 * const message = encodeChunk(header, bucket.subarray(offset, offset + n));
 * ```
 */
export function encodeChunk(header: ChunkHeader, values: Float32Array, target?: Buffer, sharedMemoryFile?: string): Buffer {
  const { gradientChunk } = loadProtocol();
  const head = gradientChunk.encode({ ...header, dtype: CHUNK_DTYPE_FLOAT32, length: values.length, sharedMemoryFile }).finish();
  // A payload in a shared-memory file is not repeated in the message.
  const payloadBytes = sharedMemoryFile ? 0 : values.byteLength;
  const dataField = gradientChunk.fields['data'];
  if (!dataField) throw new Error('loom.v1.GradientChunk has no data field');
  // Wire type 2 (length-delimited) for `bytes`; an empty payload is omitted, as proto3 does.
  const tag = (dataField.id << 3) | 2;
  const size = head.length + (payloadBytes > 0 ? varintBytes(tag) + varintBytes(payloadBytes) + payloadBytes : 0);
  const out = target ? target.subarray(0, size) : Buffer.allocUnsafe(size);
  out.set(head, 0);
  if (payloadBytes > 0) {
    let offset = writeVarint(out, head.length, tag);
    offset = writeVarint(out, offset, payloadBytes);
    out.set(new Uint8Array(values.buffer, values.byteOffset, payloadBytes), offset);
  }
  return out;
}

/**
 * Decodes one chunk; bytes protobuf cannot parse are a `RING_MALFORMED_CHUNK` error.
 *
 * @example
 * ```ts
 * const chunk = decodeChunk(bytes); // chunk.data is a view of bytes
 * ```
 */
export function decodeChunk(bytes: Buffer): RingChunk {
  const c = decode('gradientChunk', bytes);
  return {
    membershipEpoch: toNumber(c['membershipEpoch']),
    collectiveId: toNumber(c['collectiveId']),
    step: toNumber(c['step']),
    bucketId: c['bucketId'] as number,
    phase: c['phase'] as Phase,
    ringStep: c['ringStep'] as number,
    chunkIndex: c['chunkIndex'] as number,
    dtype: c['dtype'] as number,
    bucketLength: c['bucketLength'] as number,
    offset: c['offset'] as number,
    length: c['length'] as number,
    data: payload(c['data']),
    rootRank: c['rootRank'] as number,
    sharedMemoryFile: (c['sharedMemoryFile'] as string | undefined) ?? '',
  };
}

/**
 * The payload as float32 values: a view when the bytes are 4-byte aligned, else a
 * copy into `scratch` (grown as needed; gRPC's 5-byte prefix often misaligns them).
 *
 * @example
 * ```ts
 * const values = readFloat32(chunk.data, scratch);
 * ```
 */
export function readFloat32(data: Buffer, scratch: { buffer: ArrayBuffer }): Float32Array {
  const n = data.byteLength >>> 2;
  if ((data.byteOffset & 3) === 0) return new Float32Array(data.buffer, data.byteOffset, n);
  if (scratch.buffer.byteLength < data.byteLength) scratch.buffer = new ArrayBuffer(data.byteLength);
  new Uint8Array(scratch.buffer, 0, data.byteLength).set(data);
  return new Float32Array(scratch.buffer, 0, n);
}
