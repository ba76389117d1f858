/**
 * How a batch crosses from a worker thread to the main thread. A batch is a tree of
 * arrays, plain objects, tensors and other values; tensors cannot be cloned (they wrap
 * kernel memory), so the worker sends each tensor as its shape, dtype and host values,
 * either in a buffer of its own (moved, not copied) or at an offset of a pinned slot
 * (see NOTE [Pinned batch slots] in pinned-ring.ts). The main thread rebuilds the
 * tensors over those values: a moved buffer becomes the tensor's memory, a slot is
 * viewed until the kernels upload it.
 *
 * @internal
 */
import { Tensor, fromArray, type DType, type TypedArray } from '@loom/tensor';
import { hostTensor } from '../internal/host-tensor';
import { isPlainObject } from '../internal/values';
import { alignUp } from './slot-align';
import type { SlotRef } from './worker-protocol';

/** A batch on its way between threads. */
export type EncodedValue =
  | { t: 'tensor'; shape: number[]; dtype: DType; data: TypedArray }
  | { t: 'slot'; shape: number[]; dtype: DType; byteOffset: number }
  | { t: 'array'; items: EncodedValue[] }
  | { t: 'object'; entries: [string, EncodedValue][] }
  | { t: 'raw'; value: unknown };

/** Arrays and objects deeper than this go as raw values (PyTorch's collate recurses without a limit; cycles would not end). */
const MAX_DEPTH = 32;

/** A typed-array class, as used to view a slot. */
export interface ViewConstructor {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
}

/** The typed-array class that holds a dtype's values. */
export function arrayClass(dtype: DType): ViewConstructor {
  return dtype === 'float32' ? Float32Array : dtype === 'int32' ? Int32Array : Uint8Array;
}

/** The host values of a tensor built in a worker, which has no kernels to read from. */
export function hostValues(t: Tensor): TypedArray {
  const view = t.hostView();
  if (view === null) {
    throw new TypeError(
      `a ${t.dtype} tensor of shape [${t.shape.join(',')}] in the batch was used by a kernel in the worker thread; ` +
        'transforms and collate functions run in workers must build tensors from host arrays (fromArray) without running ops on them',
    );
  }
  return view;
}

/** Bytes a batch takes in a slot, or -1 when it holds no tensor (nothing to pin). */
export function slotBytesOf(value: unknown, depth = 0): number {
  if (value instanceof Tensor) return alignUp(hostValues(value).byteLength);
  if (depth > MAX_DEPTH) return -1;
  let total = 0;
  let any = false;
  const children = Array.isArray(value) ? value : isPlainObject(value) ? Object.values(value) : [];
  for (const child of children) {
    const bytes = slotBytesOf(child, depth + 1);
    if (bytes >= 0) {
      total += bytes;
      any = true;
    }
  }
  return any ? total : -1;
}

/**
 * Checks that a value can be cloned to the main thread: a failed `postMessage` of a
 * result would kill the worker thread instead of reporting the batch.
 */
function cloneable(value: unknown): unknown {
  if (typeof value === 'function' || typeof value === 'symbol') {
    throw new TypeError(`a batch holds a ${typeof value}, which cannot be sent to the main thread`);
  }
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    try {
      structuredClone(value);
    } catch (err) {
      throw new TypeError(`a batch holds a value that cannot be sent to the main thread: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return value;
}

/**
 * Encodes a batch in a worker. Tensors go into `slot` when one is given (the caller
 * checked that the batch fits), else in buffers that are moved when `fresh` says the
 * collated arrays belong to this batch alone, or copied first (samples may be views
 * of dataset memory that must stay where it is).
 */
export class BatchEncoder {
  /** Buffers to move with the result (piscina's transferList). */
  readonly transferList: ArrayBuffer[] = [];
  private cursor = 0;

  constructor(
    private readonly fresh: boolean,
    private readonly slot: SlotRef | null,
  ) {}

  encode(value: unknown, depth = 0): EncodedValue {
    if (value instanceof Tensor) return this.encodeTensor(value);
    if (depth > MAX_DEPTH) return { t: 'raw', value };
    if (Array.isArray(value)) return { t: 'array', items: value.map((v) => this.encode(v, depth + 1)) };
    if (isPlainObject(value)) {
      return { t: 'object', entries: Object.entries(value).map(([k, v]) => [k, this.encode(v, depth + 1)]) };
    }
    return { t: 'raw', value: cloneable(value) };
  }

  private encodeTensor(t: Tensor): EncodedValue {
    const values = hostValues(t);
    const shape = [...t.shape];
    if (this.slot !== null) {
      const byteOffset = this.cursor;
      new Uint8Array(this.slot.buffer, this.slot.byteOffset + byteOffset, values.byteLength).set(
        new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
      );
      this.cursor += alignUp(values.byteLength);
      return { t: 'slot', shape, dtype: t.dtype, byteOffset };
    }
    // The tag, not instanceof: a SharedArrayBuffer must never be moved, whatever realm made it.
    const owned =
      this.fresh &&
      Object.prototype.toString.call(values.buffer) === '[object ArrayBuffer]' &&
      values.byteOffset === 0 &&
      values.byteLength === values.buffer.byteLength;
    const data = owned ? values : values.slice();
    this.transferList.push(data.buffer as ArrayBuffer);
    return { t: 'tensor', shape, dtype: t.dtype, data };
  }
}

/** Where a batch's slot tensors come from, when it arrived in a slot. */
export interface SlotSource {
  buffer: SharedArrayBuffer;
  byteOffset: number;
  /** Copy the values out (`fromArray`) instead of viewing the slot. */
  copy: boolean;
}

/**
 * Rebuilds a batch on the main thread, arrays and objects as they were. A tensor that
 * travelled in its own buffer owns it now and is wrapped without a copy; a tensor in a
 * slot views the slot (pushed to `views`, so the ring knows when the slot is free) or,
 * with `copy`, is copied out of it by `fromArray`.
 */
export function decodeBatch(e: EncodedValue, slot: SlotSource | null, views: Tensor[] = []): unknown {
  switch (e.t) {
    case 'tensor':
      return hostTensor(e.data, e.shape, e.dtype);
    case 'slot': {
      if (slot === null) throw new Error('decodeBatch: a slot tensor arrived without its slot');
      const length = e.shape.reduce((a, b) => a * b, 1);
      const values = new (arrayClass(e.dtype))(slot.buffer, slot.byteOffset + e.byteOffset, length);
      if (slot.copy) return fromArray(values, e.shape, { dtype: e.dtype });
      const t = hostTensor(values, e.shape, e.dtype);
      views.push(t);
      return t;
    }
    case 'array':
      return e.items.map((item) => decodeBatch(item, slot, views));
    case 'object':
      return Object.fromEntries(e.entries.map(([k, v]) => [k, decodeBatch(v, slot, views)]));
    case 'raw':
      return e.value;
  }
}
