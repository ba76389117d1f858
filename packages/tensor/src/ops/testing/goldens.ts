/**
 * Shared by the op golden specs: reads tools/goldens/fixtures/ops.json (written by
 * tools/goldens/make_op_goldens.py, whose docstring describes the format), turns its
 * tensors into Loom tensors and compares Loom's results with PyTorch's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DType } from '../../dtype';
import { Tensor } from '../../tensor';
import { fromArray } from '../creation';

/** Where make_op_goldens.py writes. */
export const FIXTURES = join(__dirname, '../../../../../tools/goldens/fixtures');

/** A float32 as the fixture writes it: a number, or a string for NaN and infinities. */
export type GoldenNumber = number | 'NaN' | 'Infinity' | '-Infinity';

/** A tensor of the fixture. */
export interface GoldenTensor {
  shape: number[];
  dtype: DType;
  data: GoldenNumber[];
}

/** An operand of a case: a leaf tensor, a number, or the same tensor as an earlier operand. */
export type GoldenInput =
  | (GoldenTensor & { requiresGrad: boolean; prep?: [string, ...unknown[]][] })
  | { scalar: number }
  | { ref: number };

/** One op call with PyTorch's results. */
export interface GoldenCase {
  id: string;
  op: string;
  args: Record<string, unknown>;
  inputs: GoldenInput[];
  out?: GoldenTensor | GoldenTensor[];
  upstream?: (GoldenTensor | null)[][];
  retainGraph?: boolean;
  grads?: (GoldenTensor | null)[];
  rtol?: number;
  atol?: number;
  error?: string;
}

/** Parses a JSON fixture. */
export function readJson<T>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
}

/** Reads a float32 little-endian fixture. */
export function readFloat32(name: string): Float32Array {
  const buf = readFileSync(join(FIXTURES, name));
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** The op cases, grouped by family (the part of the id before the first '/'). */
export function opCasesByFamily(): Map<string, GoldenCase[]> {
  const fixture = readJson<{ cases: GoldenCase[] }>('ops.json');
  const families = new Map<string, GoldenCase[]>();
  for (const c of fixture.cases) {
    const family = c.id.split('/')[0] as string;
    if (!families.has(family)) families.set(family, []);
    (families.get(family) as GoldenCase[]).push(c);
  }
  return families;
}

/** The fixture's values as numbers (NaN and infinities restored). */
export function decode(values: readonly GoldenNumber[]): number[] {
  return values.map((v) => (typeof v === 'number' ? v : Number(v)));
}

/** A Loom tensor holding a fixture tensor's values. */
export function toTensor(g: GoldenTensor, requiresGrad = false): Tensor {
  const values = decode(g.data);
  const array = g.dtype === 'float32' ? Float32Array.from(values) : g.dtype === 'int32' ? Int32Array.from(values) : Uint8Array.from(values);
  return fromArray(array, g.shape, { dtype: g.dtype, requiresGrad });
}

/** Tolerances of a float comparison: `|a - b| <= atol + rtol * |b|`. */
export interface Tolerance {
  rtol: number;
  atol: number;
}

/** The brief's defaults: float32 ops agree with PyTorch to about 5 significant digits. */
export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-5, atol: 1e-6 };

/**
 * Positions where `actual` and `expected` differ beyond the tolerance, as readable
 * lines (empty when they agree). NaN equals NaN; an infinity must be matched exactly;
 * integers and bools must be equal.
 */
export function mismatches(actual: ArrayLike<number>, expected: readonly number[], exact: boolean, tol: Tolerance): string[] {
  const out: string[] = [];
  if (actual.length !== expected.length) return [`length ${actual.length}, expected ${expected.length}`];
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const b = expected[i] as number;
    let ok: boolean;
    if (Number.isNaN(b) || Number.isNaN(a)) ok = Number.isNaN(a) && Number.isNaN(b);
    else if (exact || !Number.isFinite(b) || !Number.isFinite(a)) ok = a === b;
    else ok = Math.abs(a - b) <= tol.atol + tol.rtol * Math.abs(b);
    if (!ok) out.push(`[${i}] ${a} vs ${b}`);
    if (out.length >= 8) break;
  }
  return out;
}

/** Throws a readable error unless `actual` matches the golden tensor (shape, dtype, values). */
export function expectMatches(actual: Tensor | null, expected: GoldenTensor | null, what: string, tol: Tolerance = DEFAULT_TOLERANCE): void {
  if (expected === null) {
    if (actual !== null) throw new Error(`${what}: PyTorch has none, Loom has ${actual.toString()}`);
    return;
  }
  if (actual === null) throw new Error(`${what}: Loom has none, PyTorch has shape [${expected.shape.join(',')}]`);
  const shape = `[${actual.shape.join(',')}]`;
  const want = `[${expected.shape.join(',')}]`;
  if (shape !== want || actual.dtype !== expected.dtype) {
    throw new Error(`${what}: Loom gives ${shape} ${actual.dtype}, PyTorch ${want} ${expected.dtype}`);
  }
  const bad = mismatches(actual.data(), decode(expected.data), expected.dtype !== 'float32', tol);
  if (bad.length > 0) throw new Error(`${what} differs (Loom vs PyTorch, rtol ${tol.rtol}, atol ${tol.atol}):\n  ${bad.join('\n  ')}`);
}
