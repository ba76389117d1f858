/**
 * Creating tensors: `tensor fromArray zeros ones full arange linspace eye zerosLike
 * onesLike fullLike rand randn randint randperm`.
 *
 * Values are made on the host and move to the backend on first use, so models can be
 * built before `ready()` resolves. Random values come from Loom's PyTorch-compatible
 * generator (`manualSeed(0)` gives PyTorch's numbers).
 */
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors';
import { DTYPES, allocate, dtypeOfArray, type DType, type TypedArray } from '../dtype';
import { checkShape, sizeOf } from '../shape';
import { Tensor, type NestedArray } from '../tensor';
import { defaultGenerator, type Generator } from '../random';

/** Options of the creation functions. */
export interface CreateOptions {
  /** Element type; numbers default to float32 (PyTorch's default dtype). */
  dtype?: DType;
  /** Whether the new leaf records gradients (float32 only). */
  requiresGrad?: boolean;
}

/** Options of the random creation functions. */
export interface RandomOptions extends CreateOptions {
  /** The generator to draw from (default: the one `manualSeed` seeds). */
  generator?: Generator;
}

function checkDType(dtype: DType | undefined, op: string): void {
  if (dtype !== undefined && !DTYPES.includes(dtype)) {
    throw new DTypeError(`${op}: unknown dtype '${String(dtype)}': expected one of ${DTYPES.join(', ')}`);
  }
}

function make(values: TypedArray, shape: readonly number[], dtype: DType, requiresGrad: boolean | undefined, op: string): Tensor {
  const t = Tensor.fromHost(values, shape, dtype);
  if (requiresGrad) {
    if (dtype !== 'float32') throw new DTypeError(`${op}: only float32 tensors can require gradients, got dtype ${dtype}`);
    t.requiresGrad_(true);
  }
  return t;
}

function convert(values: ArrayLike<number>, dtype: DType): TypedArray {
  const out = allocate(dtype, values.length);
  if (dtype === 'bool') for (let i = 0; i < values.length; i++) out[i] = values[i] ? 1 : 0;
  else if (dtype === 'int32') for (let i = 0; i < values.length; i++) out[i] = Math.trunc(values[i] as number);
  else out.set(values);
  return out;
}

/** Walks nested arrays, checking they are rectangular, and collects the values. */
function flattenNested(data: NestedArray, op: string): { shape: number[]; values: number[]; allBool: boolean } {
  const shape: number[] = [];
  let probe: NestedArray = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe.length > 0 ? (probe[0] as NestedArray) : 0;
  }
  const values: number[] = [];
  let allBool = true;
  const walk = (node: NestedArray, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (Array.isArray(node)) throw new ShapeError(`${op}: data is not rectangular: ${path} is an array, expected a value at depth ${depth}`);
      if (typeof node === 'boolean') values.push(node ? 1 : 0);
      else if (typeof node === 'number') {
        allBool = false;
        values.push(node);
      } else throw new ArgumentError(`${op}: data${path} is ${typeof node}: expected a number or a boolean`);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw new ShapeError(
        `${op}: data is not rectangular: data${path} has ${Array.isArray(node) ? `length ${node.length}` : 'no length'}, expected ${shape[depth]} (shape so far ${formatShape(shape)})`,
      );
    }
    node.forEach((child, i) => walk(child, depth + 1, `${path}[${i}]`));
  };
  walk(data, 0, '');
  if (values.length === 0) allBool = false;
  return { shape, values, allBool };
}

/**
 * A tensor from nested arrays, a number or a boolean (PyTorch's `torch.tensor`).
 * Numbers give float32 unless `dtype` says otherwise (JavaScript cannot tell `1` from
 * `1.0`, so Loom does not guess int64 as PyTorch does); booleans give bool.
 *
 * @example
 * ```ts
 * tensor([[1, 2], [3, 4]]);
 * tensor([0, 3, 1], { dtype: 'int32' }); // class labels
 * tensor([1, 2, 3], { requiresGrad: true });
 * ```
 */
export function tensor(data: NestedArray | TypedArray, options: CreateOptions = {}): Tensor {
  checkDType(options.dtype, 'tensor');
  if (ArrayBuffer.isView(data)) return fromArray(data as TypedArray, [data.length], options);
  const { shape, values, allBool } = flattenNested(data, 'tensor');
  const dtype = options.dtype ?? (allBool ? 'bool' : 'float32');
  return make(convert(values, dtype), shape, dtype, options.requiresGrad, 'tensor');
}

/** Options of {@link fromArray}. */
export interface FromArrayOptions extends CreateOptions {
  /**
   * Copy the values (default true). With `false` the tensor adopts the array until its
   * first use by a kernel uploads it: the caller must not modify the array afterwards.
   * Data loading uses it to build each batch with a single allocation.
   */
  copy?: boolean;
}

/**
 * A tensor over a typed array's values (copied by default, so the array can be reused
 * at once).
 *
 * @example
 * ```ts
 * fromArray(new Float32Array(784 * 64), [64, 1, 28, 28]);
 * fromArray(batchBuffer, [64, 784], { copy: false }); // adopts batchBuffer
 * ```
 */
export function fromArray(values: TypedArray, shape: readonly number[], options: FromArrayOptions = {}): Tensor {
  if (!(values instanceof Float32Array || values instanceof Int32Array || values instanceof Uint8Array)) {
    throw new ArgumentError('fromArray: values must be a Float32Array, Int32Array or Uint8Array');
  }
  checkShape(shape, 'fromArray', 'shape');
  if (sizeOf(shape) !== values.length) {
    throw new ShapeError(`fromArray: shape ${formatShape(shape)} holds ${sizeOf(shape)} values, but the array has ${values.length}`);
  }
  checkDType(options.dtype, 'fromArray');
  const dtype = options.dtype ?? dtypeOfArray(values);
  const sameType = dtype === dtypeOfArray(values);
  const stored = sameType ? (options.copy === false ? values : values.slice()) : convert(values, dtype);
  return make(stored, shape, dtype, options.requiresGrad, 'fromArray');
}

/** A tensor filled with `value`. @example `full([2, 3], 7)` */
export function full(shape: readonly number[], value: number | boolean, options: CreateOptions = {}): Tensor {
  checkShape(shape, 'full');
  checkDType(options.dtype, 'full');
  const dtype = options.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  const out = allocate(dtype, sizeOf(shape));
  out.fill(dtype === 'bool' ? (value ? 1 : 0) : Number(value));
  return make(out, shape, dtype, options.requiresGrad, 'full');
}

/** Zeros. @example `zeros([64, 10])` */
export function zeros(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return full(shape, 0, options);
}

/** Ones. @example `ones([3])` */
export function ones(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return full(shape, 1, options);
}

/** Zeros with the shape and dtype of `like`. @example `zerosLike(w)` */
export function zerosLike(like: Tensor, options: CreateOptions = {}): Tensor {
  return full(like.shape, 0, { dtype: like.dtype, ...options });
}

/** Ones with the shape and dtype of `like`. @example `onesLike(w)` */
export function onesLike(like: Tensor, options: CreateOptions = {}): Tensor {
  return full(like.shape, 1, { dtype: like.dtype, ...options });
}

/** `value` with the shape and dtype of `like`. @example `fullLike(w, 0.5)` */
export function fullLike(like: Tensor, value: number, options: CreateOptions = {}): Tensor {
  return full(like.shape, value, { dtype: like.dtype, ...options });
}

/**
 * Values `start, start+step, ...` below `end` (PyTorch's `torch.arange`): int32 when
 * all arguments are integers (PyTorch: int64), float32 otherwise.
 *
 * @example
 * ```ts
 * arange(5); arange(1, 4); arange(0, 1, 0.25);
 * ```
 */
export function arange(start: number, end?: number, step = 1, options: CreateOptions = {}): Tensor {
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  if (step === 0 || !Number.isFinite(step)) throw new ArgumentError(`arange: step must be nonzero and finite, got ${step}`);
  if ((hi - lo) * step < 0) throw new ArgumentError(`arange: upper bound and larger bound inconsistent with step sign: start ${lo}, end ${hi}, step ${step}`);
  checkDType(options.dtype, 'arange');
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const dtype = options.dtype ?? ([lo, hi, step].every(Number.isInteger) ? 'int32' : 'float32');
  const out = allocate(dtype, n);
  for (let i = 0; i < n; i++) out[i] = lo + i * step;
  return make(out, [n], dtype, options.requiresGrad, 'arange');
}

/** `steps` evenly spaced values from `start` to `end` inclusive. @example `linspace(0, 1, 5)` */
export function linspace(start: number, end: number, steps: number, options: CreateOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new ArgumentError(`linspace: steps must be a non-negative integer, got ${steps}`);
  const out = new Float32Array(steps);
  if (steps === 1) {
    // PyTorch fills a single step with `start` (the halfway rule below would give `end`).
    out[0] = start;
    return make(out, [steps], 'float32', options.requiresGrad, 'linspace');
  }
  const delta = steps > 1 ? (end - start) / (steps - 1) : 0;
  // PyTorch fills the second half backwards from `end` so both ends are exact.
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) out[i] = i < half ? start + delta * i : end - delta * (steps - 1 - i);
  return make(out, [steps], 'float32', options.requiresGrad, 'linspace');
}

/** The identity matrix `n x m` (m defaults to n). @example `eye(3)` */
export function eye(n: number, m = n, options: CreateOptions = {}): Tensor {
  checkShape([n, m], 'eye');
  const dtype = options.dtype ?? 'float32';
  const out = allocate(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) out[i * m + i] = 1;
  return make(out, [n, m], dtype, options.requiresGrad, 'eye');
}

/**
 * Uniform values in [0, 1) (PyTorch's `torch.rand`; the same numbers for the same seed).
 *
 * @example
 * ```ts
 * manualSeed(0); rand([2, 3]);
 * ```
 */
export function rand(shape: readonly number[], options: RandomOptions = {}): Tensor {
  checkShape(shape, 'rand');
  const g = options.generator ?? defaultGenerator;
  return make(g.uniform(sizeOf(shape), 0, 1), shape, 'float32', options.requiresGrad, 'rand');
}

/** Standard normal values (PyTorch's `torch.randn`). @example `randn([64, 784])` */
export function randn(shape: readonly number[], options: RandomOptions = {}): Tensor {
  checkShape(shape, 'randn');
  const g = options.generator ?? defaultGenerator;
  return make(g.normal(sizeOf(shape), 0, 1), shape, 'float32', options.requiresGrad, 'randn');
}

/**
 * Integers uniform in `[low, high)` (PyTorch's `torch.randint`; int32 here).
 *
 * @example
 * ```ts
 * randint(0, 10, [64]); // random labels
 * ```
 */
export function randint(low: number, high: number, shape: readonly number[], options: RandomOptions = {}): Tensor {
  checkShape(shape, 'randint');
  const g = options.generator ?? defaultGenerator;
  const values = g.randint(sizeOf(shape), low, high);
  const dtype = options.dtype ?? 'int32';
  return make(dtype === 'int32' ? values : convert(values, dtype), shape, dtype, options.requiresGrad, 'randint');
}

/** A random permutation of `0..n-1` (PyTorch's `torch.randperm`). @example `randperm(10)` */
export function randperm(n: number, options: RandomOptions = {}): Tensor {
  const g = options.generator ?? defaultGenerator;
  return make(g.randperm(n), [n], 'int32', false, 'randperm');
}
