/**
 * Reads a checkpoint (NOTE [Checkpoint layout] in proto/loom/v1/checkpoint.proto) as a
 * generator that asks for the file's bytes in order and never sees a file: `load`
 * answers from disk, `decodeCheckpoint` from memory. Tensor bytes are read straight
 * into the typed arrays that become the tensors, and every byte passes through the
 * SHA-256 on the way; tensors are created only once the digest matched.
 */
import { createHash } from 'node:crypto';
import { fromArray, type Tensor, type TypedArray } from '@loom/tensor';
import { fromLittleEndian } from './byte-order';
import {
  CONTENT_LENGTH_AT, FORMAT_VERSION, HEADER_BYTES, KEY, MAGIC_PREFIX, SHA256_BYTES, TRAILER_BYTES, VERSION_AT,
} from './checkpoint-schema';
import { CheckpointError, type CheckpointErrorCode } from './errors';
import { protoToValue, type ProtoValue, type TensorDescription } from './proto-to-value';
import type { Parser } from './read-drivers';
import { sniffForeign } from './sniff';
import { ITEM_BYTES } from './value-to-proto';

/** Bytes hashed per read when a damaged file is checked to the end. */
const HASH_BLOCK_BYTES = 16 * 2 ** 20;
/** 8 varint bytes hold 56 bits, more than any safe integer. */
const MAX_VARINT_BYTES = 8;

/** Parses a whole checkpoint of `size` bytes and returns the saved value. */
export function* parseCheckpoint(size: number, op: string, file: string): Parser<unknown> {
  const fail = (code: CheckpointErrorCode, what: string, help?: string, cause?: unknown): CheckpointError =>
    new CheckpointError(code, file, `${op}: '${file}' ${what}`, { help, cause });
  const truncated = (what: string): CheckpointError =>
    fail('LOOM_CHECKPOINT_TRUNCATED', `is truncated: ${what}`, 'the write or copy that made it was interrupted; load an earlier checkpoint');

  if (size === 0) throw fail('LOOM_CHECKPOINT_EMPTY', 'is empty (0 bytes)', 'the write that made it never happened or was cut off; load an earlier checkpoint');
  const head = yield { length: Math.min(size, HEADER_BYTES) };
  if (!MAGIC_PREFIX.subarray(0, head.length).every((b, i) => head[i] === b)) {
    const { looksLike, help } = sniffForeign(head);
    throw fail('LOOM_CHECKPOINT_FOREIGN', `is not a Loom checkpoint: it looks like ${looksLike}`, help);
  }
  if (size < CONTENT_LENGTH_AT) throw truncated(`it has ${size} bytes, less than a checkpoint header`);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const version = view.getUint32(VERSION_AT + 1, true);
  if (head[VERSION_AT] !== KEY.formatVersion || version === 0) throw fail('LOOM_CHECKPOINT_CORRUPTED', 'has a damaged header (no format version after the magic)');
  if (version > FORMAT_VERSION) {
    throw fail('LOOM_CHECKPOINT_VERSION', `has format version ${version}, but this Loom reads version ${FORMAT_VERSION} and older`, 'it was written by a newer Loom: upgrade @loom/nn to load it');
  }
  if (size < HEADER_BYTES) throw truncated(`it has ${size} bytes, less than a checkpoint header`);
  const contentLength = Number(view.getBigUint64(CONTENT_LENGTH_AT + 1, true));
  if (head[CONTENT_LENGTH_AT] !== KEY.contentLength || !Number.isSafeInteger(contentLength) || contentLength < HEADER_BYTES) {
    throw fail('LOOM_CHECKPOINT_CORRUPTED', 'has a damaged header (no valid content length)');
  }
  const expected = contentLength + TRAILER_BYTES;
  if (size < expected) throw truncated(`it has ${size} bytes, but its header says ${expected}`);
  if (size > expected) throw fail('LOOM_CHECKPOINT_CORRUPTED', `has ${size - expected} unexpected bytes after its end (${expected} bytes)`);

  const hash = createHash('sha256').update(head);
  let consumed = head.length;
  const malformed = (what: string, cause?: unknown): CheckpointError => fail('LOOM_CHECKPOINT_MALFORMED', `is malformed: ${what}`, undefined, cause);

  function* take(length: number, into?: Uint8Array): Parser<Uint8Array> {
    if (consumed + length > contentLength) throw malformed(`a field of ${length} bytes at byte ${consumed} runs past the content's end (byte ${contentLength})`);
    const bytes = yield { length, into };
    hash.update(bytes);
    consumed += length;
    return bytes;
  }
  function* varint(): Parser<number> {
    let value = 0;
    for (let i = 0, scale = 1; i < MAX_VARINT_BYTES; i++, scale *= 128) {
      const byte = (yield* take(1))[0] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(value)) break;
        return value;
      }
    }
    throw malformed(`a varint before byte ${consumed} is too large`);
  }
  function* expectKey(key: number, what: string): Parser<void> {
    const at = consumed;
    const seen = yield* varint();
    if (seen !== key) throw malformed(`expected ${what} (key ${key}) at byte ${at}, found key ${seen}`);
  }

  let tree: ProtoValue;
  let arrays: TypedArray[];
  try {
    yield* expectKey(KEY.root, 'the value tree');
    const rootBytes = yield* take(yield* varint());
    try {
      tree = protoToValue(rootBytes);
    } catch (err) {
      throw malformed(`its value tree cannot be decoded: ${err instanceof Error ? err.message : String(err)}`, err);
    }
    const tensors = tree.tensors;
    const tensorBytes = tensors.reduce((sum, t) => sum + t.byteLength, 0);
    if (tensorBytes > contentLength) throw malformed(`its tensors need ${tensorBytes} bytes, more than the file holds`);
    arrays = tensors.map(allocate);
    let id = 0;
    let filled = 0;
    const skipComplete = (): void => {
      while (id < tensors.length && filled === (tensors[id] as TensorDescription).byteLength) {
        id++;
        filled = 0;
      }
    };
    skipComplete();
    while (consumed < contentLength) {
      yield* expectKey(KEY.chunk, 'a tensor chunk');
      const messageLength = yield* varint();
      const end = consumed + messageLength;
      let tensorId = 0;
      let offset = 0;
      let key = yield* varint();
      if (key === KEY.chunkTensorId) [tensorId, key] = [yield* varint(), yield* varint()];
      if (key === KEY.chunkOffset) [offset, key] = [yield* varint(), yield* varint()];
      if (key !== KEY.chunkData) throw malformed(`a chunk before byte ${end} has an unexpected field (key ${key})`);
      const length = yield* varint();
      if (consumed + length !== end) throw malformed(`the chunk ending at byte ${end} has a data length (${length}) that does not fit it`);
      const t = tensors[id];
      if (!t || tensorId !== id || offset !== filled || filled + length > t.byteLength) {
        throw malformed(`a chunk of tensor ${tensorId} at offset ${offset} is out of place (expected tensor ${id} at offset ${filled})`);
      }
      yield* take(length, bytesOf(arrays[id] as TypedArray).subarray(filled, filled + length));
      filled += length;
      skipComplete();
    }
    if (id < tensors.length) throw malformed(`tensor ${id} has ${filled} of its ${(tensors[id] as TensorDescription).byteLength} bytes`);
  } catch (err) {
    if (!(err instanceof CheckpointError) || err.code !== 'LOOM_CHECKPOINT_MALFORMED') throw err;
    // Damage usually breaks the structure before the end is reached: hash the rest to
    // tell a corrupted file from one that a faulty writer produced intact.
    while (consumed < contentLength) yield* take(Math.min(HASH_BLOCK_BYTES, contentLength - consumed));
    const trailer = yield { length: TRAILER_BYTES };
    if (!digestMatches(trailer, hash.digest())) throw fail('LOOM_CHECKPOINT_CORRUPTED', 'is corrupted: its SHA-256 does not match its content (bytes changed after it was written)', 'load an earlier checkpoint', err);
    throw err;
  }

  const trailer = yield { length: TRAILER_BYTES };
  if (trailer[0] !== KEY.sha256 || trailer[1] !== SHA256_BYTES) throw fail('LOOM_CHECKPOINT_CORRUPTED', 'is corrupted: its SHA-256 field is damaged');
  if (!digestMatches(trailer, hash.digest())) {
    throw fail('LOOM_CHECKPOINT_CORRUPTED', 'is corrupted: its SHA-256 does not match its content (bytes changed after it was written)', 'load an earlier checkpoint');
  }

  const made = new Map<number, Tensor>();
  return tree.place((id) => {
    let tensor = made.get(id);
    if (!tensor) {
      const { dtype, shape, requiresGrad } = tree.tensors[id] as TensorDescription;
      const values = arrays[id] as TypedArray;
      fromLittleEndian(bytesOf(values), ITEM_BYTES[dtype]);
      // The array was allocated for this tensor alone: adopt it rather than copy it.
      tensor = fromArray(values, shape, { dtype, requiresGrad, copy: false });
      made.set(id, tensor);
    }
    return tensor;
  });
}

function allocate({ dtype, byteLength }: TensorDescription): TypedArray {
  const n = byteLength / ITEM_BYTES[dtype];
  return dtype === 'float32' ? new Float32Array(n) : dtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
}

function bytesOf(values: TypedArray): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

function digestMatches(trailer: Uint8Array, digest: Uint8Array): boolean {
  return trailer.length === TRAILER_BYTES && digest.every((b, i) => trailer[2 + i] === b);
}
