/**
 * Reads the safetensors format with the checks of the reference implementation
 * (huggingface/safetensors `SafeTensors::read_metadata` and `Metadata::validate`):
 *
 *   u64 little-endian N | N bytes of JSON header, starting with '{' | data
 *
 * where every tensor's `data_offsets` [begin, end) index the data, the tensors cover it
 * exactly, without gaps or overlaps, and `end - begin` is the element count times the
 * dtype's size. Like `checkpoint-parser.ts`, a generator that asks for bytes in order.
 */
import { fromArray, type Tensor } from '@loom/tensor';
import { fromLittleEndian } from './byte-order';
import { CheckpointError, type CheckpointErrorCode } from './errors';
import { defineOwn } from './proto-to-value';
import type { Parser } from './read-drivers';
import { OutOfRange, SAFETENSORS_DTYPES } from './safetensors-dtypes';
import { sniffForeign } from './sniff';

/** The reference implementation's `MAX_HEADER_SIZE`: larger headers are refused. */
export const MAX_HEADER_BYTES = 100_000_000;
/** The header length prefix. */
export const LENGTH_PREFIX_BYTES = 8;
/** The header key of the free-form string metadata. */
export const METADATA_KEY = '__metadata__';

/** One tensor of a safetensors header. */
export interface SafetensorsTensorInfo {
  name: string;
  /** The safetensors dtype name (`F32`, `I64`, `BF16`, ...). */
  dtype: string;
  shape: number[];
  /** [begin, end) in bytes, relative to the start of the data. */
  dataOffsets: [number, number];
}

/** A safetensors header: the metadata and the tensors, in data order. */
export interface SafetensorsHeader {
  metadata: Record<string, string> | null;
  tensors: SafetensorsTensorInfo[];
}

/** Parses a safetensors file of `size` bytes; with `headerOnly`, stops after the header. */
export function parseSafetensors(size: number, op: string, file: string, headerOnly: false): Parser<Record<string, Tensor>>;
export function parseSafetensors(size: number, op: string, file: string, headerOnly: true): Parser<SafetensorsHeader>;
export function* parseSafetensors(size: number, op: string, file: string, headerOnly: boolean): Parser<Record<string, Tensor> | SafetensorsHeader> {
  const fail = (code: CheckpointErrorCode, what: string, help?: string): CheckpointError => new CheckpointError(code, file, `${op}: '${file}' ${what}`, { help });
  const malformed = (what: string): CheckpointError => fail('LOOM_CHECKPOINT_MALFORMED', `is not a valid safetensors file: ${what}`);

  if (size === 0) throw fail('LOOM_CHECKPOINT_EMPTY', 'is empty (0 bytes)');
  const prefix = yield { length: Math.min(size, LENGTH_PREFIX_BYTES + 1) };
  const foreign = (): CheckpointError => {
    const { looksLike, help } = sniffForeign(prefix);
    return fail('LOOM_CHECKPOINT_FOREIGN', `is not a safetensors file: it looks like ${looksLike}`, looksLike === 'a safetensors file' ? undefined : help);
  };
  if (size < LENGTH_PREFIX_BYTES) throw fail('LOOM_CHECKPOINT_TRUNCATED', `is truncated: it has ${size} bytes, less than the 8-byte header length`);
  const headerLength = Number(new DataView(prefix.buffer, prefix.byteOffset, LENGTH_PREFIX_BYTES).getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES || (prefix.length > LENGTH_PREFIX_BYTES && prefix[LENGTH_PREFIX_BYTES] !== 0x7b)) throw foreign();
  const dataStart = LENGTH_PREFIX_BYTES + headerLength;
  if (dataStart > size) throw fail('LOOM_CHECKPOINT_TRUNCATED', `is truncated: its ${headerLength}-byte header ends past the file's ${size} bytes`);
  const headerBytes = new Uint8Array(headerLength);
  headerBytes.set(prefix.subarray(LENGTH_PREFIX_BYTES));
  const rest = headerLength - (prefix.length - LENGTH_PREFIX_BYTES);
  if (rest > 0) headerBytes.set(yield { length: rest }, headerLength - rest);

  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (err) {
    throw malformed(`its header is not UTF-8 JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const header = checkHeader(json, fail, malformed);
  if (headerOnly) return header;

  const dataBytes = size - dataStart;
  const end = header.tensors.length === 0 ? 0 : (header.tensors[header.tensors.length - 1] as SafetensorsTensorInfo).dataOffsets[1];
  if (end > dataBytes) throw fail('LOOM_CHECKPOINT_TRUNCATED', `is truncated: its tensors need ${end} bytes of data, the file has ${dataBytes}`);
  if (end < dataBytes) throw malformed(`${dataBytes - end} bytes follow the last tensor`);

  const out: Record<string, Tensor> = {};
  for (const { name, dtype, shape, dataOffsets } of header.tensors) {
    const type = SAFETENSORS_DTYPES[dtype] as (typeof SAFETENSORS_DTYPES)[string];
    const bytes = new Uint8Array(dataOffsets[1] - dataOffsets[0]);
    if (bytes.length > 0) yield { length: bytes.length, into: bytes };
    fromLittleEndian(bytes, type.itemSize);
    let values;
    try {
      values = type.decode(bytes, bytes.length / type.itemSize);
    } catch (err) {
      if (!(err instanceof OutOfRange)) throw err;
      throw fail('LOOM_CHECKPOINT_UNSUPPORTED', `has tensor '${name}' (${dtype}) with ${err.message}, outside int32's range`, "Loom's integer tensors are int32 (as TensorFlow.js): convert the tensor before saving it");
    }
    // `values` is this tensor's own array (or a view on its own buffer): adopted, not copied.
    defineOwn(out, name, fromArray(values, shape, { dtype: type.loom, copy: false }));
  }
  return out;
}

/** Checks the header as the reference's `validate` does; tensors come back in data order. */
function checkHeader(
  json: unknown,
  fail: (code: CheckpointErrorCode, what: string, help?: string) => CheckpointError,
  malformed: (what: string) => CheckpointError,
): SafetensorsHeader {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw malformed('its header is not a JSON object');
  let metadata: Record<string, string> | null = null;
  const tensors: SafetensorsTensorInfo[] = [];
  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (entry === null || typeof entry !== 'object' || Object.values(entry).some((v) => typeof v !== 'string')) throw malformed(`${METADATA_KEY} is not an object of strings`);
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as Record<string, unknown>;
    const type = typeof dtype === 'string' ? SAFETENSORS_DTYPES[dtype] : undefined;
    if (!type) {
      throw fail('LOOM_CHECKPOINT_UNSUPPORTED', `has tensor '${name}' of dtype ${JSON.stringify(dtype)}, which Loom does not read (it reads ${Object.keys(SAFETENSORS_DTYPES).join(', ')})`);
    }
    const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
    if (!Array.isArray(shape) || !shape.every(isCount)) throw malformed(`tensor '${name}' has shape ${JSON.stringify(shape)}, not a list of sizes`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
      throw malformed(`tensor '${name}' has data_offsets ${JSON.stringify(offsets)}, not [begin, end]`);
    }
    const bytes = shape.reduce((a: number, b: number) => a * b, 1) * type.itemSize;
    if (offsets[1] - offsets[0] !== bytes) throw malformed(`tensor '${name}' (${dtype} ${JSON.stringify(shape)}) needs ${bytes} bytes, its data_offsets span ${offsets[1] - offsets[0]}`);
    tensors.push({ name, dtype: dtype as string, shape, dataOffsets: [offsets[0], offsets[1]] });
  }
  tensors.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let expected = 0;
  for (const t of tensors) {
    if (t.dataOffsets[0] !== expected) throw malformed(`tensor '${t.name}' starts at byte ${t.dataOffsets[0]} of the data, expected ${expected} (tensors must cover the data without gaps or overlaps)`);
    expected = t.dataOffsets[1];
  }
  return { metadata, tensors };
}
