/**
 * `defaultCollate` written straight into a pinned slot: for samples made of tensors,
 * typed arrays, numbers and booleans (in arrays or plain objects), stacking sample k of a batch
 * means copying its values to offset k of the batch tensor, so the worker copies each
 * sample into the slot and never allocates the stacked batch. The result equals
 * `defaultCollate(samples)` (a test checks it); anything else (strings, ragged
 * tensors, custom collate functions) takes the general path: collate, then copy.
 *
 * @internal
 */
import { Tensor, type DType } from '@loom/tensor';
import { isPlainObject } from '../internal/values';
import { arrayClass, type EncodedValue } from './batch-codec';
import { alignUp } from './slot-align';
import type { SlotRef } from './worker-protocol';

/** The structure of one sample, read from the first sample of a batch. */
type Layout =
  | { k: 'tensor'; shape: readonly number[]; dtype: DType; numel: number }
  | { k: 'typed'; ctor: new (...args: never[]) => ArrayBufferView; dtype: DType; numel: number }
  | { k: 'number' }
  | { k: 'boolean' }
  | { k: 'array'; items: Layout[] }
  | { k: 'object'; keys: string[]; items: Layout[] };

/** Nesting deeper than this is left to `defaultCollate`. */
const MAX_DEPTH = 8;
/** int32's range: integers outside it make defaultCollate's number batch float32. */
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function layoutOf(sample: unknown, depth: number): Layout | null {
  if (sample instanceof Tensor) {
    if (!sample.isOnHost) return null;
    return { k: 'tensor', shape: sample.shape, dtype: sample.dtype, numel: sample.numel() };
  }
  if (ArrayBuffer.isView(sample)) {
    const dtype = typedArrayDType(sample);
    return dtype === null ? null : { k: 'typed', ctor: sample.constructor as new (...args: never[]) => ArrayBufferView, dtype, numel: (sample as unknown as ArrayLike<number>).length };
  }
  if (typeof sample === 'number') return { k: 'number' };
  if (typeof sample === 'boolean') return { k: 'boolean' };
  if (depth >= MAX_DEPTH) return null;
  if (Array.isArray(sample)) {
    const items = sample.map((s) => layoutOf(s, depth + 1));
    return items.every((l) => l !== null) && items.length > 0 ? { k: 'array', items: items as Layout[] } : null;
  }
  if (isPlainObject(sample)) {
    const keys = Object.keys(sample);
    const items = keys.map((key) => layoutOf(sample[key], depth + 1));
    return items.every((l) => l !== null) && keys.length > 0 ? { k: 'object', keys, items: items as Layout[] } : null;
  }
  return null;
}

function conforms(sample: unknown, layout: Layout): boolean {
  switch (layout.k) {
    case 'tensor':
      return (
        sample instanceof Tensor &&
        sample.dtype === layout.dtype &&
        sample.shape.length === layout.shape.length &&
        sample.shape.every((d, i) => d === layout.shape[i]) &&
        sample.isOnHost
      );
    case 'typed':
      return sample instanceof layout.ctor && (sample as unknown as ArrayLike<number>).length === layout.numel;
    case 'number':
      return typeof sample === 'number';
    case 'boolean':
      return typeof sample === 'boolean';
    case 'array':
      return Array.isArray(sample) && sample.length === layout.items.length && layout.items.every((l, i) => conforms(sample[i], l));
    case 'object':
      return (
        isPlainObject(sample) &&
        Object.keys(sample).length === layout.keys.length &&
        layout.keys.every((key, i) => key in sample && conforms(sample[key], layout.items[i] as Layout))
      );
  }
}

/** defaultCollate's dtype for a typed-array field: float32 for float arrays, int32 for integer ones. */
function typedArrayDType(values: ArrayBufferView): DType | null {
  if (values instanceof Float32Array || values instanceof Float64Array) return 'float32';
  if (
    values instanceof Int32Array ||
    values instanceof Int16Array ||
    values instanceof Int8Array ||
    values instanceof Uint16Array ||
    values instanceof Uint8Array ||
    values instanceof Uint8ClampedArray
  ) {
    return 'int32';
  }
  return null;
}

/** Thrown inside {@link stackIntoSlot} when defaultCollate must handle the batch itself. */
const NOT_STACKABLE = Symbol('not stackable');

/**
 * defaultCollate's dtype for a batch of numbers: int32 when all are integers, else
 * float32. Integers beyond int32 are an error there, which it should report.
 */
function numberDType(values: readonly number[]): DType {
  if (!values.every(Number.isInteger)) return 'float32';
  if (values.some((v) => v < INT32_MIN || v > INT32_MAX)) throw NOT_STACKABLE;
  return 'int32';
}

function batchBytes(layout: Layout, n: number): number {
  switch (layout.k) {
    case 'tensor':
    case 'typed':
      return alignUp(n * layout.numel * arrayClass(layout.dtype).BYTES_PER_ELEMENT);
    case 'number':
    case 'boolean':
      return alignUp(n * 4);
    case 'array':
    case 'object':
      return layout.items.reduce((sum, l) => sum + batchBytes(l, n), 0);
  }
}

/** What {@link stackIntoSlot} did. */
export interface StackResult {
  /** The batch, written into the slot; null when it did not fit (or there was no slot). */
  data: EncodedValue | null;
  /** Bytes the batch needs in a slot. */
  bytes: number;
}

/**
 * Collates `samples` as `defaultCollate` does, writing the batch into `slot`. Returns
 * null when the samples are not made of host tensors, numbers and booleans of one
 * structure (the caller then runs `defaultCollate`).
 */
export function stackIntoSlot(samples: readonly unknown[], slot: SlotRef | null): StackResult | null {
  if (samples.length === 0) return null;
  const layout = layoutOf(samples[0], 0);
  if (layout === null || !samples.every((s) => conforms(s, layout))) return null;
  const bytes = batchBytes(layout, samples.length);
  if (slot === null || bytes > slot.byteLength) return { data: null, bytes };
  let cursor = 0;
  const write = (l: Layout, values: readonly unknown[]): EncodedValue => {
    const n = values.length;
    switch (l.k) {
      case 'tensor': {
        const byteOffset = cursor;
        const out = new (arrayClass(l.dtype))(slot.buffer, slot.byteOffset + byteOffset, n * l.numel);
        // conforms() checked that every sample is on the host: this writes each one.
        for (let i = 0; i < n; i++) (values[i] as Tensor).copyHostInto(out, i * l.numel);
        cursor += alignUp(out.byteLength);
        return { t: 'slot', shape: [n, ...l.shape], dtype: l.dtype, byteOffset };
      }
      case 'typed': {
        const byteOffset = cursor;
        const out = new (arrayClass(l.dtype))(slot.buffer, slot.byteOffset + byteOffset, n * l.numel);
        for (let i = 0; i < n; i++) out.set(values[i] as ArrayLike<number>, i * l.numel);
        cursor += alignUp(out.byteLength);
        return { t: 'slot', shape: [n, l.numel], dtype: l.dtype, byteOffset };
      }
      case 'number':
      case 'boolean': {
        const dtype = l.k === 'boolean' ? 'bool' : numberDType(values as number[]);
        const byteOffset = cursor;
        const out = new (arrayClass(dtype))(slot.buffer, slot.byteOffset + byteOffset, n);
        for (let i = 0; i < n; i++) out[i] = Number(values[i]);
        cursor += alignUp(n * 4);
        return { t: 'slot', shape: [n], dtype, byteOffset };
      }
      case 'array':
        return { t: 'array', items: l.items.map((item, j) => write(item, values.map((v) => (v as unknown[])[j]))) };
      case 'object':
        return {
          t: 'object',
          entries: l.keys.map((key, j) => [key, write(l.items[j] as Layout, values.map((v) => (v as Record<string, unknown>)[key]))]),
        };
    }
  };
  try {
    return { data: write(layout, samples), bytes };
  } catch (err) {
    if (err === NOT_STACKABLE) return null;
    throw err;
  }
}
