/**
 * The patch matrices against a direct reading of their definition, in both
 * orientations, for strides, dilations, padding (including windows that only touch
 * padding) and the ones row/column, on wasm and cpu; values move bit for bit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from '../index';
import { hasIm2col, im2col, im2colT, type Im2colWindows } from './im2col';

type Case = [string, [number, number, number, number], Omit<Im2colWindows, 'outSize' | 'ones'>];

const CASES: Case[] = [
  ['3x3 valid', [2, 1, 6, 5], { kernel: [3, 3], stride: [1, 1], dilation: [1, 1], padBefore: [0, 0] }],
  // Inside the input at width stride 1: the SIMD copy on wasm (runs of 9: two vectors and one value).
  ['3x3 valid, runs of 9', [2, 3, 9, 11], { kernel: [3, 3], stride: [1, 1], dilation: [1, 1], padBefore: [0, 0] }],
  ['height stride 2, dilation 2, valid', [2, 2, 11, 10], { kernel: [2, 3], stride: [2, 1], dilation: [2, 2], padBefore: [0, 0] }],
  ['3x3 pad 1, 2 channels', [2, 2, 5, 6], { kernel: [3, 3], stride: [1, 1], dilation: [1, 1], padBefore: [1, 1] }],
  ['stride 2, dilation 2, pad 2', [1, 3, 9, 8], { kernel: [3, 2], stride: [2, 3], dilation: [2, 2], padBefore: [2, 1] }],
  ['padding larger than the kernel', [1, 2, 4, 5], { kernel: [2, 2], stride: [1, 1], dilation: [1, 1], padBefore: [3, 3] }],
];

/** Output size for a symmetric padding `padBefore` on both sides. */
function outSize(shape: number[], w: Case[2]): [number, number] {
  const size = (a: 0 | 1): number => Math.floor((shape[2 + a]! + 2 * w.padBefore[a] - w.dilation[a] * (w.kernel[a] - 1) - 1) / w.stride[a]) + 1;
  return [size(0), size(1)];
}

/** `[taps (+1), pixels]` read straight from the definition. */
function reference(x: Float32Array, shape: number[], w: Im2colWindows): number[][] {
  const [n, c, h, wd] = shape as [number, number, number, number];
  const [oh, ow] = w.outSize;
  const rows: number[][] = [];
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < w.kernel[0]; i++) {
      for (let j = 0; j < w.kernel[1]; j++) {
        const row: number[] = [];
        for (let b = 0; b < n; b++) {
          for (let r = 0; r < oh; r++) {
            for (let q = 0; q < ow; q++) {
              const ih = r * w.stride[0] + i * w.dilation[0] - w.padBefore[0];
              const iw = q * w.stride[1] + j * w.dilation[1] - w.padBefore[1];
              row.push(ih >= 0 && ih < h && iw >= 0 && iw < wd ? x[((b * c + ch) * h + ih) * wd + iw]! : 0);
            }
          }
        }
        rows.push(row);
      }
    }
  }
  if (w.ones) rows.push(new Array(n * oh * ow).fill(1));
  return rows;
}

describe.each(['wasm', 'cpu'] as const)('im2col on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  test('runs on the host kernel', () => {
    expect(hasIm2col()).toBe(true);
  });

  test.each(CASES)('%s', (_name, shape, base) => {
    const values = Float32Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) => i + 1);
    values[0] = Number.NaN; // passes through as a value like any other
    const x = tf.tensor4d(values, shape);
    for (const ones of [false, true]) {
      const windows: Im2colWindows = { ...base, outSize: outSize(shape, base), ones };
      const expected = reference(values, shape, windows);
      const colsT = im2colT(x, windows);
      const cols = im2col(x, windows);
      expect(colsT.arraySync()).toEqual(expected);
      expect(cols.arraySync()).toEqual(expected[0]!.map((_, p) => expected.map((row) => row[p])));
      tf.dispose([colsT, cols]);
    }
    x.dispose();
  });
});
