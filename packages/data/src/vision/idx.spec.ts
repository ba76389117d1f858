import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { DataFormatError } from '../errors';
import { fixturePixel, idxImages, idxLabels, removeDir, tempDir } from '../../test/fixtures/idx-fixtures';
import { parseIdx, readIdx } from './idx';

describe('IDX reader', () => {
  let dir: string;
  beforeAll(() => (dir = tempDir()));
  afterAll(() => removeDir(dir));

  const write = (name: string, bytes: Uint8Array): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    return file;
  };

  it('reads images and labels, gzipped or not, into shared memory', () => {
    for (const [name, bytes] of [['plain', idxImages(3)], ['packed.gz', zlib.gzipSync(idxImages(3))]] as const) {
      const { dims, data } = readIdx(write(name, bytes), 'images');
      expect(dims).toEqual([3, 28, 28]);
      expect(data.length).toBe(3 * 784);
      expect(data[784 + 5]).toBe(fixturePixel(1, 5));
      expect(Object.prototype.toString.call(data.buffer)).toBe('[object SharedArrayBuffer]');
    }
    expect(Array.from(readIdx(write('labels', idxLabels(4)), 'labels').data)).toEqual([0, 3, 6, 9]);
  });

  const failure = (fn: () => unknown): DataFormatError => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(DataFormatError);
      return e as DataFormatError;
    }
    throw new Error('expected a DataFormatError');
  };

  it('names the file and the expected magic number', () => {
    const e = failure(() => readIdx(write('swapped', idxImages(1)), 'labels'));
    expect(e.file).toContain('swapped');
    expect(e.message).toContain('magic number 0x00000803 (the magic number of an IDX images file: are the file names swapped?), expected 0x00000801');
    expect(failure(() => parseIdx(idxLabels(2, 0x00000901), 'labels', 'odd.idx')).message).toBe(
      'odd.idx: magic number 0x00000901, expected 0x00000801: an IDX labels file starts with magic number 0x00000801 (unsigned bytes, 1 dim)',
    );
  });

  it('checks the length against the header', () => {
    const full = idxImages(2);
    expect(failure(() => parseIdx(full.subarray(0, full.length - 1), 'images', 'cut')).message).toContain(
      'cut: 1583 bytes, expected 1584 (a 16-byte header + 2 x 28 x 28 values): the file is truncated',
    );
    expect(failure(() => parseIdx(Buffer.concat([full, Buffer.of(0)]), 'images', 'long')).message).toContain('longer than its header says');
    expect(failure(() => parseIdx(full.subarray(0, 10), 'images', 'stub')).message).toContain('stub: 10 bytes is shorter than the 16-byte header');
    expect(failure(() => parseIdx(idxImages(1, 0, 28), 'images', 'flat')).message).toContain('images of 0 x 28 pixels');
  });

  it('reports a truncated gzip stream', () => {
    const packed = zlib.gzipSync(idxImages(2));
    const e = failure(() => readIdx(write('cut.gz', packed.subarray(0, packed.length >> 1)), 'images'));
    expect(e.message).toContain('the gzip stream does not decompress');
    expect(e.message).toContain('cut.gz');
  });

  it('reports a missing file', () => {
    expect(failure(() => readIdx(path.join(dir, 'none'), 'labels')).message).toContain('cannot read the IDX labels file');
  });
});
