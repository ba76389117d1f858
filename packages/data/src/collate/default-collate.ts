/**
 * `defaultCollate`: merges a list of samples into a batch, with PyTorch's rules
 * (`torch.utils.data.default_collate`).
 *
 * NOTE [Batches without a backend]
 * Pooled DataLoader workers never start a TensorFlow.js backend. When every sample
 * tensor of a field still holds its values on the host (`isOnHost`: the
 * tensors that transforms and built-in datasets make), the batch is built there: one
 * typed array of `batchSize * numel` per field, each sample's values written into it
 * (ToTensor's computed right there), wrapped as a tensor without a copy. Only when a
 * sample tensor already lives on a backend is it `stack`ed.
 */
import { Tensor, stack, type DType } from '@loom/tensor';
import { CollateError } from '../errors';
import { allocateFor, allocateUnfilled, hostTensor } from '../internal/host-tensor';
import { describe, isPlainObject } from '../internal/values';

/** int32's range: integers beyond it have no Loom dtype (PyTorch would make int64). */
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * Merges samples into a batch, field by field:
 *
 * | sample field                      | batch field                                   |
 * | --------------------------------- | --------------------------------------------- |
 * | `Tensor` of shape S               | `Tensor` [B, ...S], same dtype                |
 * | `Float32Array`/`Float64Array`     | float32 `Tensor` [B, length]                   |
 * | other integer typed arrays        | int32 `Tensor` [B, length] (values kept)       |
 * | `number`, all integers            | int32 `Tensor` [B] (PyTorch: int64)            |
 * | `number`, any non-integer         | float32 `Tensor` [B] (PyTorch: float64)        |
 * | `boolean`                         | bool `Tensor` [B]                              |
 * | `string`                          | `string[]`                                     |
 * | array or tuple                    | array, collated position by position           |
 * | plain object                      | object, collated key by key                    |
 *
 * Loom has no 64-bit dtypes, so Python ints become int32 and floats float32; a number
 * field is int32 only when every value of the batch is an integer, so return a
 * `Float32Array` or a tensor for a float field that may hold whole numbers. Anything
 * else (`null`, a `HostImage`, a class instance) is refused with the element's type
 * and position.
 *
 * @example
 * ```ts
 * const [X, y] = defaultCollate([[img0, 9], [img1, 0]]) as [Tensor, Tensor];
 * // X: [2, 1, 28, 28] float32, y: int32 [9, 0]
 * defaultCollate([{ id: 'a', w: 0.5 }, { id: 'b', w: 2 }]); // { id: ['a', 'b'], w: float32 [0.5, 2] }
 * ```
 */
export function defaultCollate(batch: unknown[]): unknown {
  if (!Array.isArray(batch) || batch.length === 0) {
    throw new CollateError('batch', `defaultCollate: expected a non-empty array of samples, got ${Array.isArray(batch) ? 'an empty array' : describe(batch)}`);
  }
  return collate(batch, '');
}

/** Collates one field, `field` being its path inside a sample (`''`, `[0]`, `.label`). */
function collate(values: unknown[], field: string): unknown {
  const elem = values[0];
  if (elem instanceof Tensor) return collateTensors(values, field);
  if (ArrayBuffer.isView(elem) && !(elem instanceof DataView)) return collateTypedArrays(values, field);
  switch (typeof elem) {
    case 'number':
      return collateNumbers(values, field);
    case 'boolean':
      expectAll(values, field, 'a boolean', (v) => typeof v === 'boolean');
      return hostTensor(Uint8Array.from(values as boolean[], (v) => (v ? 1 : 0)), [values.length], 'bool');
    case 'string':
      expectAll(values, field, 'a string', (v) => typeof v === 'string');
      return values;
  }
  if (Array.isArray(elem)) return collateArrays(values, field);
  if (isPlainObject(elem)) return collateObjects(values, field);
  const help =
    describe(elem) === 'a HostImage'
      ? 'a HostImage is a raw uint8 image: add `transform: new ToTensor()` to the dataset, as in PyTorch a PIL image needs ToTensor()'
      : 'return tensors, typed arrays, numbers, booleans, strings, arrays or plain objects from getItem, or pass your own collateFn';
  throw new CollateError(
    at(0, field),
    `defaultCollate: batch must contain tensors, typed arrays, numbers, booleans, strings, arrays or plain objects; found ${describe(elem)} at ${at(0, field)}`,
    help,
  );
}

function collateTensors(values: unknown[], field: string): Tensor {
  const first = values[0] as Tensor;
  const shape = first.shape;
  const numel = first.numel();
  let onHost = true;
  values.forEach((v, i) => {
    if (!(v instanceof Tensor)) throw mismatch(values, i, field, 'a Tensor');
    if (v.dtype !== first.dtype) {
      throw new CollateError(at(i, field), `defaultCollate: ${at(i, field)} is a ${v.dtype} tensor but ${at(0, field)} is ${first.dtype}: the tensors of a field must share their dtype`);
    }
    if (!sameShape(v.shape, shape)) {
      throw new CollateError(
        at(i, field),
        `defaultCollate: stack expects each tensor to be equal size, but got [${shape.join(', ')}] at ${at(0, field)} and [${v.shape.join(', ')}] at ${at(i, field)}`,
      );
    }
    if (onHost && !v.isOnHost) onHost = false;
  });
  const tensors = values as Tensor[];
  if (!onHost) return stack(tensors, 0);
  const out = allocateUnfilled(first.dtype, values.length * numel);
  for (let i = 0; i < tensors.length; i++) {
    // Every sample writes its part (none is left unwritten); none moved to a backend since the check above.
    if (!(tensors[i] as Tensor).copyHostInto(out, i * numel)) return stack(tensors, 0);
  }
  return hostTensor(out, [values.length, ...shape], first.dtype);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** The dtype of a typed array's values in a batch (Loom has float32, int32 and bool). */
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

function collateTypedArrays(values: unknown[], field: string): Tensor {
  const first = values[0] as ArrayLike<number> & ArrayBufferView;
  const dtype = typedArrayDType(first);
  const kind = first.constructor.name;
  if (dtype === null) {
    throw new CollateError(at(0, field), `defaultCollate: ${at(0, field)} is a ${kind}, which has no Loom dtype`, 'convert it to a Float32Array or an Int32Array in getItem');
  }
  const length = first.length;
  const out = allocateFor(dtype, values.length * length);
  values.forEach((v, i) => {
    if (!(v instanceof (first.constructor as new () => unknown))) throw mismatch(values, i, field, `a ${kind}`);
    const row = v as ArrayLike<number>;
    if (row.length !== length) {
      throw new CollateError(at(i, field), `defaultCollate: ${at(i, field)} has ${row.length} values but ${at(0, field)} has ${length}: typed arrays of a field must have equal lengths`);
    }
    out.set(row, i * length);
  });
  return hostTensor(out, [values.length, length], dtype);
}

function collateNumbers(values: unknown[], field: string): Tensor {
  expectAll(values, field, 'a number', (v) => typeof v === 'number');
  const numbers = values as number[];
  if (!numbers.every(Number.isInteger)) return hostTensor(Float32Array.from(numbers), [numbers.length], 'float32');
  const outside = numbers.findIndex((v) => v < INT32_MIN || v > INT32_MAX);
  if (outside !== -1) {
    throw new CollateError(
      at(outside, field),
      `defaultCollate: ${at(outside, field)} is the integer ${numbers[outside]}, outside int32's range [${INT32_MIN}, ${INT32_MAX}] (PyTorch would make int64, which Loom does not have)`,
      'return such values as a Float32Array or a float32 tensor, or as strings',
    );
  }
  return hostTensor(Int32Array.from(numbers), [numbers.length], 'int32');
}

function collateArrays(values: unknown[], field: string): unknown[] {
  const size = (values[0] as unknown[]).length;
  values.forEach((v, i) => {
    if (!Array.isArray(v)) throw mismatch(values, i, field, 'an array');
    if (v.length !== size) {
      throw new CollateError(at(i, field), `defaultCollate: each element in list of batch should be of equal size: ${at(0, field)} has ${size} elements, ${at(i, field)} has ${v.length}`);
    }
  });
  const out = new Array<unknown>(size);
  for (let k = 0; k < size; k++) out[k] = collate(values.map((v) => (v as unknown[])[k]), `${field}[${k}]`);
  return out;
}

function collateObjects(values: unknown[], field: string): Record<string, unknown> {
  const keys = Object.keys(values[0] as object);
  values.forEach((v, i) => {
    if (!isPlainObject(v)) throw mismatch(values, i, field, 'a plain object');
    const missing = keys.find((k) => !(k in v));
    if (missing !== undefined) throw new CollateError(at(i, field), `defaultCollate: ${at(i, field)} has no key '${missing}', which ${at(0, field)} has`);
  });
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = collate(values.map((v) => (v as Record<string, unknown>)[key]), `${field}.${key}`);
  return out;
}

function expectAll(values: unknown[], field: string, expected: string, test: (v: unknown) => boolean): void {
  const bad = values.findIndex((v) => !test(v));
  if (bad !== -1) throw mismatch(values, bad, field, expected);
}

function mismatch(values: unknown[], i: number, field: string, expected: string): CollateError {
  return new CollateError(
    at(i, field),
    `defaultCollate: ${at(i, field)} is ${describe(values[i])} but ${at(0, field)} is ${expected}: the samples of a batch must have the same structure`,
  );
}

/** The path of a field of sample `i`: `batch[3]`, `batch[3][0]`, `batch[3].label`. */
function at(i: number, field: string): string {
  return `batch[${i}]${field}`;
}
