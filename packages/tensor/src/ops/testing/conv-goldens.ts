/**
 * Shared by conv.spec.ts and pool.spec.ts: the goldens of
 * tools/goldens/make_conv_goldens.py and a closeness check that names the worst element.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromArray, type Tensor } from '../../index';

/** Where make_conv_goldens.py writes. */
const FIXTURES = join(__dirname, '../../../../../tools/goldens/fixtures');

/** One array of a case: its shape and its offset (in float32 elements) into conv.bin. */
export interface GoldenArray {
  shape: number[];
  offset: number;
}

/** One PyTorch computation: the op, its options in Loom's spelling, its arrays. */
export interface GoldenCase {
  name: string;
  op: string;
  options: Record<string, unknown>;
  arrays: Record<string, GoldenArray>;
}

interface Goldens {
  conv: GoldenCase[];
  pool: GoldenCase[];
}

let cache: { json: Goldens; values: Float32Array } | null = null;

function load(): { json: Goldens; values: Float32Array } {
  if (cache === null) {
    const json = JSON.parse(readFileSync(join(FIXTURES, 'conv.json'), 'utf8')) as Goldens;
    const buf = readFileSync(join(FIXTURES, 'conv.bin'));
    cache = { json, values: new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)) };
  }
  return cache;
}

/** The cases of one generator section. */
export function goldenCases(section: keyof Goldens): GoldenCase[] {
  return load().json[section];
}

/** The values of one array of a case. */
export function goldenValues(c: GoldenCase, key: string): Float32Array {
  const a = c.arrays[key];
  if (a === undefined) throw new Error(`golden ${c.name} has no array ${key}`);
  const n = a.shape.reduce((p, d) => p * d, 1);
  return load().values.slice(a.offset, a.offset + n);
}

/** A Loom tensor holding one array of a case. */
export function goldenTensor(c: GoldenCase, key: string, requiresGrad = false): Tensor {
  return fromArray(goldenValues(c, key), (c.arrays[key] as GoldenArray).shape, { requiresGrad });
}

/**
 * Tolerances of {@link expectClose}: `|a - b| <= atol * scale + rtol * |b|`, where
 * `scale` is the root mean square of PyTorch's array (at least 1). A sum whose terms
 * cancel keeps an absolute error proportional to its terms, not to its result: near-zero
 * outputs of a 288-term convolution differ from PyTorch's by ~4e-6 with values ~17.
 */
export interface Tolerance {
  rtol: number;
  atol: number;
}

function rootMeanSquare(values: Float32Array): number {
  let s = 0;
  for (const v of values) s += v * v;
  return values.length === 0 ? 0 : Math.sqrt(s / values.length);
}

/**
 * Checks a tensor against PyTorch's values (shape and every element), reporting the
 * worst element, its index and both values.
 */
export function expectClose(actual: Tensor | null, c: GoldenCase, key: string, tol: Tolerance): void {
  const expected = goldenValues(c, key);
  const label = `${c.name}: ${key}`;
  if (actual === null) throw new Error(`${label}: no tensor (expected shape [${(c.arrays[key] as GoldenArray).shape}])`);
  expect({ label, shape: actual.shape }).toEqual({ label, shape: (c.arrays[key] as GoldenArray).shape });
  const got = actual.data();
  const atol = tol.atol * Math.max(1, rootMeanSquare(expected));
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = got[i] as number;
    const b = expected[i] as number;
    const excess = Math.abs(a - b) - (atol + tol.rtol * Math.abs(b));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    throw new Error(`${label}: element ${worst} is ${got[worst]}, PyTorch has ${expected[worst]} (rtol ${tol.rtol}, atol ${atol.toPrecision(2)})`);
  }
}
