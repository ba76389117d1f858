/**
 * The protobufjs types of `proto/loom/v1/checkpoint.proto` (through the generated
 * descriptor) and the fixed byte layout of NOTE [Checkpoint layout] in that file.
 */
import * as protobuf from 'protobufjs';
import { CHECKPOINT_DESCRIPTOR } from './generated/checkpoint-descriptor';

const root = protobuf.Root.fromJSON(CHECKPOINT_DESCRIPTOR as protobuf.INamespace);

/** `loom.v1.Checkpoint`: the whole file. */
export const CheckpointMessage = root.lookupType('loom.v1.Checkpoint');
/** `loom.v1.Value`: one node of the saved tree. */
export const ValueMessage = root.lookupType('loom.v1.Value');
/** `loom.v1.TensorChunk`: a piece of a tensor's bytes. */
export const TensorChunkMessage = root.lookupType('loom.v1.TensorChunk');
/** `loom.v1.DType` names by value. */
export const DTYPE_ENUM = root.lookupEnum('loom.v1.DType');

/** The first field of every checkpoint. */
export const MAGIC = 'loom.checkpoint';
/** The layout this code writes and reads. */
export const FORMAT_VERSION = 1;

/** Protobuf's wire types (encoding.md): how the bytes after a key are framed. */
const WIRE_TYPE = { varint: 0, fixed64: 1, lengthDelimited: 2, fixed32: 5 } as const;

/** The key byte(s) of a field: field number and wire type. */
function fieldKey(type: protobuf.Type, name: string, wire: number): number {
  const field = type.fields[name];
  if (!field) throw new Error(`checkpoint.proto has no field ${type.name}.${name}`);
  return (field.id << 3) | wire;
}

/** Keys of the fields the streaming reader and writer frame themselves. */
export const KEY = {
  formatVersion: fieldKey(CheckpointMessage, 'formatVersion', WIRE_TYPE.fixed32),
  contentLength: fieldKey(CheckpointMessage, 'contentLength', WIRE_TYPE.fixed64),
  root: fieldKey(CheckpointMessage, 'root', WIRE_TYPE.lengthDelimited),
  chunk: fieldKey(CheckpointMessage, 'chunks', WIRE_TYPE.lengthDelimited),
  sha256: fieldKey(CheckpointMessage, 'sha256', WIRE_TYPE.lengthDelimited),
  chunkTensorId: fieldKey(TensorChunkMessage, 'tensorId', WIRE_TYPE.varint),
  chunkOffset: fieldKey(TensorChunkMessage, 'offset', WIRE_TYPE.varint),
  chunkData: fieldKey(TensorChunkMessage, 'data', WIRE_TYPE.lengthDelimited),
} as const;

/** The encoded magic field: the 17 bytes every checkpoint starts with. */
export const MAGIC_PREFIX: Uint8Array = CheckpointMessage.encode({ magic: MAGIC }).finish();
/** Byte offsets of the fixed header: magic, then fixed32 version (key + 4 bytes), then fixed64 content length (key + 8 bytes). */
export const VERSION_AT = MAGIC_PREFIX.length;
export const CONTENT_LENGTH_AT = VERSION_AT + 1 + 4;
export const HEADER_BYTES = CONTENT_LENGTH_AT + 1 + 8;
/** SHA-256 digest size. */
export const SHA256_BYTES = 32;
/** The sha256 field: a one-byte key (field 15), a one-byte length (32), the digest. */
export const TRAILER_BYTES = 2 + SHA256_BYTES;

/**
 * Protobuf's default recursion limit (`CodedInputStream::default_recursion_limit_`,
 * also protobufjs' `Reader.recursionLimit`): protoc and protobufjs refuse messages
 * nested deeper. The root value is at depth 1 inside `Checkpoint`.
 */
export const MAX_MESSAGE_DEPTH = 100;

/** The fixed 31-byte header. */
export function encodeHeader(contentLength: number): Uint8Array {
  return CheckpointMessage.encode({ magic: MAGIC, formatVersion: FORMAT_VERSION, contentLength }).finish();
}

/** The sha256 field that ends every checkpoint. */
export function encodeTrailer(digest: Uint8Array): Uint8Array {
  return CheckpointMessage.encode({ sha256: digest }).finish();
}
