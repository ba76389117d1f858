/**
 * Typed arrays over `SharedArrayBuffer`s: the memory that datasets hand to worker
 * threads. A typed array over a shared buffer is structured-cloned as a new view of the
 * same memory, so N workers see one copy of the data (PyTorch issue #13246 is the
 * opposite: every worker's copy-on-write pages get copied by reference counting).
 */

/** The typed arrays a dataset keeps in shared memory. @internal */
export type SharedTypedArray = Float32Array | Int32Array | Uint8Array;

type TypedArrayConstructor<T extends SharedTypedArray> = { new (buffer: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number };

/** Whether `values` already lives in a `SharedArrayBuffer` (of any realm). @internal */
export function isShared(values: ArrayBufferView): boolean {
  return Object.prototype.toString.call(values.buffer) === '[object SharedArrayBuffer]';
}

/** A zeroed typed array of `length` elements over a new `SharedArrayBuffer`. @internal */
export function allocateShared<T extends SharedTypedArray>(Ctor: TypedArrayConstructor<T>, length: number): T {
  return new Ctor(new SharedArrayBuffer(length * Ctor.BYTES_PER_ELEMENT));
}

/** `values` in shared memory: itself when it already is, else a shared copy. @internal */
export function toShared<T extends SharedTypedArray>(values: T): T {
  if (isShared(values)) return values;
  const out = allocateShared(values.constructor as TypedArrayConstructor<T>, values.length);
  out.set(values);
  return out;
}

/** Integer indices as a shared `Int32Array` (the form `Subset` keeps and sends). @internal */
export function sharedIndices(indices: ArrayLike<number>): Int32Array {
  if (indices instanceof Int32Array) return toShared(indices);
  const out = allocateShared(Int32Array, indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = indices[i] as number;
  return out;
}
