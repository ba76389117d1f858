/**
 * Checkpoints over gRPC in both directions (`SaveCheckpoint`: worker to coordinator;
 * `LoadCheckpoint`: coordinator to worker): the bytes of an encoded `loom.v1.Checkpoint`
 * cut into `CheckpointChunk`s of at most 1 MiB (far under gRPC's 4 MiB message limit),
 * the first carrying the whole description (step, size, SHA-256), and put back together
 * with every check: order, size, digest.
 */
import { createHash } from 'node:crypto';
import { CoordinatorError } from '../errors';
import type { CheckpointChunk } from './messages';

/** Bytes per chunk: a quarter of gRPC's default 4 MiB message limit. */
export const CHECKPOINT_CHUNK_BYTES = 1024 * 1024;
/** SHA-256 digests are 32 bytes. */
const SHA256_BYTES = 32;

/** What the first chunk says besides the size and digest. */
export type CheckpointDescription = Pick<CheckpointChunk, 'workerId' | 'leaseId' | 'step' | 'trainEpoch' | 'batch'>;

/**
 * The chunks of `bytes`: the first with `description`, total size and SHA-256.
 *
 * @example
 * ```ts
 * for (const chunk of checkpointChunks(bytes, { workerId, leaseId, step: 40, trainEpoch: 0, batch: 40 })) stream.write(chunk);
 * ```
 */
export function* checkpointChunks(bytes: Uint8Array, description: CheckpointDescription, chunkBytes = CHECKPOINT_CHUNK_BYTES): Generator<Partial<CheckpointChunk>> {
  const sha256 = createHash('sha256').update(bytes).digest();
  let offset = 0;
  do {
    const data = bytes.subarray(offset, offset + chunkBytes);
    yield offset === 0 ? { ...description, totalBytes: bytes.length, sha256, offset, data } : { offset, data };
    offset += data.length;
  } while (offset < bytes.length);
}

/**
 * A checkpoint being received, chunk by chunk. Every failure is a
 * `CHECKPOINT_REJECTED` error naming `rpc` and what was wrong.
 *
 * @example
 * ```ts
 * const assembly = new CheckpointAssembly('LoadCheckpoint', first);
 * for (const chunk of chunks) assembly.add(chunk);
 * const bytes = assembly.bytes(); // length and SHA-256 checked
 * ```
 */
export class CheckpointAssembly {
  private readonly parts: Buffer[] = [];
  private received = 0;

  /** Checks the first chunk's description (`maxBytes`: the largest size accepted). */
  constructor(
    readonly rpc: string,
    readonly first: CheckpointChunk,
    maxBytes = Number.MAX_SAFE_INTEGER,
  ) {
    if (first.offset !== 0) throw new CoordinatorError('CHECKPOINT_REJECTED', `${rpc}: the first chunk is at offset ${first.offset}, expected 0`);
    if (first.sha256.length !== SHA256_BYTES) throw new CoordinatorError('CHECKPOINT_REJECTED', `${rpc}: sha256 has ${first.sha256.length} bytes, expected ${SHA256_BYTES}`);
    if (first.totalBytes > maxBytes) {
      throw new CoordinatorError('CHECKPOINT_TOO_LARGE', `${rpc}: a checkpoint of ${first.totalBytes} bytes is over the limit of ${maxBytes}`, "raise the coordinator's maxCheckpointBytes");
    }
  }

  /** Appends a chunk; refuses one that is out of order or beyond the announced size. */
  add(chunk: CheckpointChunk): void {
    if (chunk.offset !== this.received) {
      throw new CoordinatorError('CHECKPOINT_REJECTED', `${this.rpc}: chunk at offset ${chunk.offset}, expected ${this.received} (chunks must arrive in order)`);
    }
    if (this.received + chunk.data.length > this.first.totalBytes) {
      throw new CoordinatorError('CHECKPOINT_REJECTED', `${this.rpc}: ${this.received + chunk.data.length} bytes received, more than the announced ${this.first.totalBytes}`);
    }
    this.parts.push(Buffer.from(chunk.data));
    this.received += chunk.data.length;
  }

  /** The whole checkpoint, after checking its length and SHA-256. */
  bytes(): Buffer {
    const { totalBytes, sha256 } = this.first;
    if (this.received !== totalBytes) throw new CoordinatorError('CHECKPOINT_REJECTED', `${this.rpc}: the transfer ended after ${this.received} of ${totalBytes} bytes`);
    const all = Buffer.concat(this.parts);
    const digest = createHash('sha256').update(all).digest();
    if (!digest.equals(Buffer.from(sha256))) {
      throw new CoordinatorError('CHECKPOINT_REJECTED', `${this.rpc}: SHA-256 of the ${totalBytes} bytes received is ${digest.toString('hex')}, the sender announced ${Buffer.from(sha256).toString('hex')}`, 'the checkpoint was damaged in transit; send it again');
    }
    return all;
  }
}
