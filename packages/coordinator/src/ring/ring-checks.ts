/**
 * The receiving and sending sides' checks of the ring protocol: a `Ring` call's hello
 * (on the sender, before any chunk goes out) and each chunk's fields (on the receiver,
 * before it is routed to its collective; `Collective.receive` then checks its place).
 * Each failure is a `RingError` naming the field, the value seen and the one expected.
 */
import { RingError } from '../errors';
import { PROTOCOL_VERSION } from '../protocol/protocol-version';
import { FLOAT32_BYTES } from './buckets';
import { CHUNK_DTYPE_FLOAT32, type RingChunk, type RingHello } from './chunk-codec';
import { PHASE_NAMES } from './ring-schedule';

/** What the checks compare against. */
export interface RingPosition {
  rank: number;
  worldSize: number;
  membershipEpoch: number;
}

/**
 * Checks that `hello` comes from this rank's right neighbour at the same epoch.
 *
 * @example
 * ```ts
 * checkHello(hello, 'w-1 (127.0.0.1:5000)', { rank: 0, worldSize: 2, membershipEpoch: 1 });
 * ```
 */
export function checkHello(hello: RingHello, peer: string, t: RingPosition): void {
  const right = (t.rank + 1) % t.worldSize;
  const from = `Peer.Ring: call from rank ${hello.receiverRank} (${hello.receiverWorkerId || peer})`;
  if (hello.protocolVersion !== PROTOCOL_VERSION) {
    throw new RingError('RING_BAD_HELLO', `${from}: protocol version ${hello.protocolVersion}, this worker speaks ${PROTOCOL_VERSION}`, 'run the same Loom version on every worker');
  }
  if (hello.membershipEpoch !== t.membershipEpoch || hello.worldSize !== t.worldSize) {
    throw new RingError('RING_BAD_HELLO', `${from}: membership epoch ${hello.membershipEpoch} with world size ${hello.worldSize}, this worker is at epoch ${t.membershipEpoch} with world size ${t.worldSize}`);
  }
  if (t.worldSize === 1 || hello.receiverRank !== right) {
    throw new RingError('RING_NOT_NEIGHBOUR', `${from}: rank ${t.rank} sends only to its right neighbour, rank ${t.worldSize === 1 ? 'none (world size 1)' : right}`);
  }
}

/**
 * Checks a chunk's fields on their own: epoch, dtype, payload size, phase, ring step
 * and range within its bucket.
 *
 * @example
 * ```ts
 * checkChunk(decodeChunk(message), { rank: 1, worldSize: 2, membershipEpoch: 1 });
 * ```
 */
export function checkChunk(chunk: RingChunk, t: RingPosition): void {
  const where = `Peer.Ring: chunk ${chunk.chunkIndex} of collective ${chunk.collectiveId} bucket ${chunk.bucketId}`;
  if (chunk.membershipEpoch !== t.membershipEpoch) {
    throw new RingError('RING_MALFORMED_CHUNK', `${where}: membership_epoch ${chunk.membershipEpoch}, this ring is at epoch ${t.membershipEpoch}`);
  }
  if (chunk.dtype !== CHUNK_DTYPE_FLOAT32) {
    throw new RingError('RING_MALFORMED_CHUNK', `${where}: dtype ${chunk.dtype} is not supported, expected CHUNK_DTYPE_FLOAT32 (${CHUNK_DTYPE_FLOAT32})`);
  }
  if (chunk.data.byteLength !== chunk.length * FLOAT32_BYTES) {
    throw new RingError('RING_MALFORMED_CHUNK', `${where}: data has ${chunk.data.byteLength} bytes but length says ${chunk.length} float32 elements (${chunk.length * FLOAT32_BYTES} bytes)`);
  }
  if (!(chunk.phase in PHASE_NAMES)) throw new RingError('RING_MALFORMED_CHUNK', `${where}: phase ${chunk.phase} is not a RingPhase`);
  if (chunk.ringStep > t.worldSize - 2) throw new RingError('RING_MALFORMED_CHUNK', `${where}: ring_step ${chunk.ringStep} exceeds ${t.worldSize - 2} for world size ${t.worldSize}`);
  if (chunk.offset + chunk.length > chunk.bucketLength) {
    throw new RingError('RING_MALFORMED_CHUNK', `${where}: elements [${chunk.offset}, ${chunk.offset + chunk.length}) exceed bucket_length ${chunk.bucketLength}`);
  }
}

