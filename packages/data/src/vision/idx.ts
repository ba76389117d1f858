/**
 * Reading the IDX format of MNIST-style data sets (LeCun's "Pascal Vincent" format):
 * a big-endian header (magic number, then one uint32 per dim) followed by the values.
 * Files may be gzipped (detected by content, not name). The values land in shared
 * memory so that DataLoader workers read them without a copy.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { DataFormatError } from '../errors';
import { allocateShared } from '../internal/shared';

/** What an IDX file holds in an MNIST-style data set. */
export type IdxKind = 'labels' | 'images';

/** The magic numbers: 0x08 = unsigned bytes, then the number of dims (LeCun's format page). */
export const IDX_MAGIC: Readonly<Record<IdxKind, number>> = { labels: 0x00000801, images: 0x00000803 };
const DIMS: Readonly<Record<IdxKind, number>> = { labels: 1, images: 3 };
const GZIP_MAGIC = [0x1f, 0x8b];
const HEADER_WORD = 4;

/** A decoded IDX file: its dims and its bytes (in a `SharedArrayBuffer`). */
export interface IdxData {
  dims: number[];
  data: Uint8Array;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

/**
 * Reads an IDX file of unsigned bytes, gzipped or not, checking the magic number, the
 * dims and the length. Errors name the file and what was expected.
 *
 * @example
 * ```ts
 * const { dims, data } = readIdx('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz', 'images');
 * dims; // [60000, 28, 28]
 * ```
 */
export function readIdx(file: string, kind: IdxKind, shownAs: string = file): IdxData {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (cause) {
    throw new DataFormatError(shownAs, `${shownAs}: cannot read the IDX ${kind} file: ${(cause as Error).message}`);
  }
  if (bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (cause) {
      throw new DataFormatError(
        shownAs,
        `${shownAs}: the gzip stream does not decompress (${(cause as Error).message}): expected a complete gzipped IDX ${kind} file`,
        'the file is probably truncated: delete it and download it again',
      );
    }
  }
  return parseIdx(bytes, kind, shownAs);
}

/**
 * Decodes the bytes of an (uncompressed) IDX file; `file` names it in errors.
 *
 * @example
 * ```ts
 * parseIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 7, 3]), 'labels', 'tiny'); // { dims: [2], data: [7, 3] }
 * ```
 */
export function parseIdx(bytes: Uint8Array, kind: IdxKind, file: string): IdxData {
  const expectedMagic = IDX_MAGIC[kind];
  const ndims = DIMS[kind];
  const headerBytes = HEADER_WORD * (1 + ndims);
  const layout = `an IDX ${kind} file starts with magic number ${hex(expectedMagic)} (unsigned bytes, ${ndims} dim${ndims > 1 ? 's' : ''})`;
  if (bytes.length < headerBytes) {
    throw new DataFormatError(file, `${file}: ${bytes.length} bytes is shorter than the ${headerBytes}-byte header: ${layout}`, 'the file is truncated: delete it and get it again');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expectedMagic) {
    const other = Object.entries(IDX_MAGIC).find(([, m]) => m === magic);
    const hint = other ? ` (the magic number of an IDX ${other[0]} file: are the file names swapped?)` : '';
    throw new DataFormatError(file, `${file}: magic number ${hex(magic)}${hint}, expected ${hex(expectedMagic)}: ${layout}`);
  }
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(HEADER_WORD * (1 + i), false));
  if (kind === 'images' && (dims[1] === 0 || dims[2] === 0)) {
    throw new DataFormatError(file, `${file}: images of ${dims[1]} x ${dims[2]} pixels: expected positive rows and columns`);
  }
  const payload = dims.reduce((a, b) => a * b, 1);
  const expected = headerBytes + payload;
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'truncated' : 'longer than its header says';
    throw new DataFormatError(
      file,
      `${file}: ${bytes.length} bytes, expected ${expected} (a ${headerBytes}-byte header + ${dims.join(' x ')} values): the file is ${what}`,
      'delete it and get it again',
    );
  }
  const data = allocateShared(Uint8Array, payload);
  data.set(bytes.subarray(headerBytes));
  return { dims, data };
}
