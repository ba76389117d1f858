/**
 * Encodes a checkpoint as the pieces of NOTE [Checkpoint layout]
 * (proto/loom/v1/checkpoint.proto), in file order: header, value tree, tensor chunks,
 * SHA-256. The pieces are views on the tensors' values plus a few framing bytes, so a
 * writer streams them without assembling the file in memory.
 */
import { createHash } from 'node:crypto';
import * as protobuf from 'protobufjs';
import { ArgumentError } from '@loom/tensor';
import { littleEndianBytes } from './byte-order';
import { CheckpointMessage, HEADER_BYTES, KEY, TRAILER_BYTES, TensorChunkMessage, encodeHeader, encodeTrailer } from './checkpoint-schema';
import { ITEM_BYTES, valueToProto } from './value-to-proto';

/**
 * Default bytes of tensor data per chunk. 64 MiB is protobuf C++'s historical default
 * total-bytes limit (`kDefaultTotalBytesLimit` before 3.x), so every chunk stays
 * readable even by old or strict protobuf parsers, and the framing overhead
 * (about 20 bytes per chunk) is negligible.
 */
export const DEFAULT_CHUNK_BYTES = 64 * 2 ** 20;
/** Protobuf's hard limit on one message (2 GiB - 1 bytes, INT_MAX), less room for the chunk's own framing. */
export const MAX_CHUNK_BYTES = 2 ** 31 - 1 - 64;

/** Options of `save` and `encodeCheckpoint`. */
export interface SaveOptions {
  /** Tensor bytes per chunk (default 64 MiB); any size from 1 byte to just under 2 GiB. */
  chunkBytes?: number;
}

/** A checkpoint ready to be written: its exact size and its bytes as pieces. */
export interface CheckpointPlan {
  byteLength: number;
  pieces(): Generator<Uint8Array>;
}

/**
 * Converts `value` and sizes the file. With `snapshot`, every tensor's values are
 * copied now (for writers that await between pieces while training goes on);
 * otherwise they are read as their chunks are produced.
 */
export function planCheckpoint(value: unknown, op: string, target: string, options: SaveOptions & { snapshot: boolean }): CheckpointPlan {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) {
    throw new ArgumentError(`${op}: chunkBytes must be an integer from 1 to ${MAX_CHUNK_BYTES}, got ${chunkBytes}`);
  }
  const tree = valueToProto(value, op, target);
  const rootField = CheckpointMessage.encode({ root: tree.root }).finish();
  const tensors = tree.tensors.map((t) => {
    const byteLength = t.numel() * ITEM_BYTES[t.dtype];
    if (options.snapshot) {
      const bytes = littleEndianBytes(t.data());
      return { byteLength, bytes: () => bytes };
    }
    return { byteLength, bytes: () => littleEndianBytes(t.data()) };
  });

  let contentLength = HEADER_BYTES + rootField.length;
  tensors.forEach(({ byteLength }, id) => {
    for (let offset = 0; offset < byteLength; offset += chunkBytes) {
      const length = Math.min(chunkBytes, byteLength - offset);
      contentLength += chunkPrefix(id, offset, length).length + length;
    }
  });

  return {
    byteLength: contentLength + TRAILER_BYTES,
    *pieces() {
      const hash = createHash('sha256');
      const emit = (piece: Uint8Array): Uint8Array => {
        hash.update(piece);
        return piece;
      };
      yield emit(encodeHeader(contentLength));
      yield emit(rootField);
      for (let id = 0; id < tensors.length; id++) {
        const { byteLength, bytes } = tensors[id] as (typeof tensors)[number];
        if (byteLength === 0) continue;
        const data = bytes();
        for (let offset = 0; offset < byteLength; offset += chunkBytes) {
          const length = Math.min(chunkBytes, byteLength - offset);
          yield emit(chunkPrefix(id, offset, length));
          yield emit(data.subarray(offset, offset + length));
        }
      }
      yield encodeTrailer(hash.digest());
    },
  };
}

/**
 * The bytes of a chunk field up to its data: the field's key and length, the chunk's
 * tensor_id and offset (left out when 0, as proto3 does), the data field's key and
 * length. protobufjs frames them; the data itself is written as is.
 */
function chunkPrefix(tensorId: number, offset: number, length: number): Uint8Array {
  const fields = TensorChunkMessage.encode({ tensorId, offset }).finish();
  const dataKey = protobuf.Writer.create().uint32(KEY.chunkData).uint32(length).finish();
  const outer = protobuf.Writer.create()
    .uint32(KEY.chunk)
    .uint32(fields.length + dataKey.length + length)
    .finish();
  const prefix = new Uint8Array(outer.length + fields.length + dataKey.length);
  prefix.set(outer, 0);
  prefix.set(fields, outer.length);
  prefix.set(dataKey, outer.length + fields.length);
  return prefix;
}
