/**
 * Shared by the nn specs: reading the fixtures of tools/goldens/make_nn_goldens.py
 * and comparing Loom's values with PyTorch's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor, fromArray } from '@loom/tensor';

/** Where make_nn_goldens.py writes. */
export const FIXTURES = join(__dirname, '../../../../tools/goldens/fixtures');

/** A tensor as the fixtures store it. */
export interface EncodedTensor {
  shape: number[];
  dtype: 'float32' | 'int32';
  /** float32 little-endian bytes. */
  base64?: string;
  /** int32 values. */
  values?: number[];
}

/** Parses a JSON fixture. */
export function readJson<T>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
}

/** The values of an encoded tensor. */
export function decodeValues(t: EncodedTensor): Float32Array | Int32Array {
  if (t.dtype === 'int32') return Int32Array.from(t.values as number[]);
  const bytes = Buffer.from(t.base64 as string, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** A Loom tensor from an encoded one. */
export function decode(t: EncodedTensor, options: { requiresGrad?: boolean } = {}): Tensor {
  return fromArray(decodeValues(t), t.shape, { requiresGrad: options.requiresGrad ?? false });
}

/** Tolerances of {@link expectClose}. */
export interface Tolerance {
  /** Relative tolerance (default 1e-5, the bound). */
  rtol?: number;
  /** Absolute floor for values near zero, where float32 rounding is absolute (default 1e-6). */
  atol?: number;
}

/**
 * Checks shape and values: |actual - expected| <= atol + rtol * |expected| for every
 * element, with a message naming the first element that is off.
 */
export function expectClose(actual: Tensor, expected: EncodedTensor, what: string, tolerance: Tolerance = {}): void {
  const rtol = tolerance.rtol ?? 1e-5;
  const atol = tolerance.atol ?? 1e-6;
  if (actual.shape.join() !== expected.shape.join()) {
    throw new Error(`${what}: shape [${actual.shape.join(',')}], expected [${expected.shape.join(',')}]`);
  }
  const a = actual.data();
  const e = decodeValues(expected);
  for (let i = 0; i < e.length; i++) {
    const x = a[i] as number;
    const y = e[i] as number;
    const err = Math.abs(x - y);
    if (!(err <= atol + rtol * Math.abs(y)) && !(Number.isNaN(x) && Number.isNaN(y)) && x !== y) {
      throw new Error(`${what}: element ${i} is ${x}, expected ${y} (error ${err}, tolerance ${atol + rtol * Math.abs(y)})`);
    }
  }
}

/** Checks that two arrays are bitwise-equal float32 values (PyTorch-exact initialisation). */
export function expectExact(actual: Tensor, expected: EncodedTensor, what: string): void {
  if (actual.shape.join() !== expected.shape.join()) {
    throw new Error(`${what}: shape [${actual.shape.join(',')}], expected [${expected.shape.join(',')}]`);
  }
  const a = actual.data();
  const e = decodeValues(expected);
  for (let i = 0; i < e.length; i++) {
    if (!Object.is(a[i], e[i])) throw new Error(`${what}: element ${i} is ${a[i]}, expected exactly ${e[i]}`);
  }
}
