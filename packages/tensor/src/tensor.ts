/**
 * The `Tensor` class: shape, dtype, gradient bookkeeping and memory lifetime.
 *
 * The arithmetic lives in `ops/` (one concept per file, forward and backward side by
 * side); `tensor-methods.ts` attaches each op as a method, as PyTorch exposes both
 * `torch.add(a, b)` and `a.add(b)`.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { backendInfo, type DeviceType } from './backend/backend';
import type { GradNode } from './autograd/node';
import { runBackward, type BackwardOptions } from './autograd/engine';
import { isGradEnabled } from './autograd/grad-mode';
import type { DType, TypedArray } from './dtype';
import { isFloating } from './dtype';
import { AutogradError, DTypeError, ShapeError, TensorDisposedError, formatShape } from './errors';
import { setTensorCheck, track } from './memory/scope';
import { sizeOf } from './shape';
import { Storage, type HostFill } from './storage';

/** Nested arrays of numbers or booleans, as `tensor()` accepts and `toArray()` returns. */
export type NestedArray = number | boolean | NestedArray[];

/** A gradient hook called after a leaf's `.grad` was accumulated (DDP bucketing). */
export type PostAccumulateGradHook = (param: Tensor) => void;

/** Handle returned by hook registration; `remove()` unregisters. */
export interface RemovableHandle {
  remove(): void;
}

interface StorageCell {
  storage: Storage;
  /** The op that made the tensor; it is dropped with the tensor (see `GradNode.drop`). */
  node: GradNode | null;
}

/**
 * Safety net for tensors dropped outside every scope: when the JavaScript object is
 * collected, its memory is released. Scopes remain the deterministic mechanism.
 *
 * Only tensors that hold backend memory or an autograd node are registered: values
 * still on the host (a dataset's samples, a batch built in a worker) are ordinary
 * garbage-collected arrays, and registering each sample costs more than making it.
 * A host tensor registers when its values move to the backend ({@link Tensor.value}).
 */
const collector = new FinalizationRegistry<StorageCell>((cell) => {
  cell.storage.release();
  cell.node?.drop();
});

let liveTensors = 0;

/**
 * A multi-dimensional array with PyTorch semantics: broadcasting ops, autograd
 * (`backward()` fills `.grad` of leaves that require grad), `noGrad`, and memory
 * released by scopes (see `scope`, `steps`).
 *
 * @example
 * ```ts
 * const w = tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * const loss = w.mul(w).sum();
 * loss.backward();
 * w.grad!.toArray(); // [[2, 4], [6, 8]]
 * ```
 */
export class Tensor {
  /** The tensor's shape, as PyTorch's `tensor.shape` (a plain array). */
  readonly shape: readonly number[];
  /** The element type. */
  readonly dtype: DType;
  /** The accumulated gradient, filled by `backward()` for leaves that require grad. */
  grad: Tensor | null = null;

  private cell: StorageCell;
  private requires: boolean;
  private releasedBecause: string | null = null;
  private kept = false;
  private retains = false;
  private hooks: PostAccumulateGradHook[] | null = null;
  private registered = false;

  /** @internal Use the creation functions (`tensor`, `zeros`, ...) instead. */
  constructor(storage: Storage, requiresGrad = false, gradFn: GradNode | null = null) {
    this.cell = { storage, node: gradFn };
    this.shape = storage.shape;
    this.dtype = storage.dtype;
    this.requires = requiresGrad;
    liveTensors++;
    if (!storage.onHost || gradFn !== null) this.register();
    track(this);
  }

  /** Registers with the collector (once), now that there is memory it must release. */
  private register(): void {
    if (this.registered) return;
    this.registered = true;
    collector.register(this, this.cell, this.cell);
  }

  /** The op that produced this tensor (null for leaves). @internal */
  get gradFn(): GradNode | null {
    return this.cell.node;
  }

  set gradFn(node: GradNode | null) {
    this.cell.node = node;
    if (node !== null) this.register();
  }

  /** Wraps a kernel output as a new tensor. @internal */
  static fromTf(value: tf.Tensor, requiresGrad = false, gradFn: GradNode | null = null): Tensor {
    return new Tensor(Storage.fromTf(value), requiresGrad, gradFn);
  }

  /** Wraps host values as a new tensor. @internal */
  static fromHost(values: TypedArray, shape: readonly number[], dtype: DType, requiresGrad = false): Tensor {
    return new Tensor(Storage.fromHost(values, shape, dtype), requiresGrad);
  }

  /** A new tensor whose host values `fill` writes when first needed (see `Storage.fromHostFill`). @internal */
  static fromHostFill(fill: HostFill, shape: readonly number[], dtype: DType): Tensor {
    return new Tensor(Storage.fromHostFill(fill, shape, dtype));
  }

  // ---- memory -------------------------------------------------------------------

  /** The storage, checked to be alive. @internal */
  storage(op: string): Storage {
    if (this.releasedBecause !== null) {
      throw new TensorDisposedError(
        `${op}: tensor ${formatShape(this.shape)} ${this.dtype} was ${this.releasedBecause} and cannot be used`,
        'keep it with tensor.keep() (or return it from the scope) to use it later, or copy its values with item()/data() while it is alive',
      );
    }
    return this.cell.storage;
  }

  /** The TensorFlow.js value, checked to be alive (host values move to the backend here). @internal */
  value(op: string): tf.Tensor {
    const value = this.storage(op).value;
    this.register();
    return value;
  }

  /** Replaces the values in place (optimizer updates, `copy_`, `zero_`). @internal */
  assign(value: tf.Tensor, op: string): this {
    const old = this.storage(op);
    if (value.dtype !== this.dtype || value.shape.length !== this.shape.length || value.shape.some((d, i) => d !== this.shape[i])) {
      value.dispose();
      throw new AutogradError(`${op}: in-place result ${formatShape(value.shape)} ${value.dtype} does not fit ${formatShape(this.shape)} ${this.dtype}`);
    }
    this.cell.storage = Storage.fromTf(value);
    old.release();
    this.register();
    return this;
  }

  /** Replaces the values in place with host values of the same size. @internal */
  assignHost(values: TypedArray, op: string): this {
    const old = this.storage(op);
    if (values.length !== sizeOf(this.shape)) {
      throw new AutogradError(`${op}: ${values.length} values do not fit ${formatShape(this.shape)}`);
    }
    this.cell.storage = Storage.fromHost(values, this.shape, this.dtype);
    old.release();
    return this;
  }

  /** Releases the memory now. Using the tensor afterwards throws. */
  dispose(): void {
    this.release('disposed by dispose()');
  }

  /** @internal */
  release(reason: string): void {
    if (this.releasedBecause !== null) return;
    this.releasedBecause = reason;
    if (this.registered) collector.unregister(this.cell);
    this.cell.storage.release();
    this.cell.node?.drop();
    liveTensors--;
  }

  /**
   * Exempts this tensor from scope release: it lives until `dispose()`. Returns `this`.
   *
   * @example
   * ```ts
   * const history: Tensor[] = [];
   * for await (const [X] of loader) history.push(X.mean().keep());
   * ```
   */
  keep(): this {
    this.kept = true;
    return this;
  }

  /** Whether {@link keep} was called. */
  get isKept(): boolean {
    return this.kept;
  }

  /** Whether the memory was released (by `dispose()` or a scope). */
  get isDisposed(): boolean {
    return this.releasedBecause !== null;
  }

  // ---- properties ---------------------------------------------------------------

  /** Whether gradients are tracked for this tensor. */
  get requiresGrad(): boolean {
    return this.requires;
  }

  set requiresGrad(value: boolean) {
    this.requiresGrad_(value);
  }

  /** True for tensors not produced by a recorded op (parameters, inputs). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** `cuda` when the kernels run on a GPU, else `cpu`. */
  get device(): DeviceType {
    return backendInfo()?.device ?? 'cpu';
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Number of dimensions (PyTorch's `dim()`). */
  dim(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  numel(): number {
    return sizeOf(this.shape);
  }

  /** The shape, or the size of one dim (`size(-1)`). */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    if (dim === undefined) return [...this.shape];
    const d = dim < 0 ? dim + this.shape.length : dim;
    if (d < 0 || d >= this.shape.length) {
      throw new AutogradError(`size: dim ${dim} out of range for shape ${formatShape(this.shape)}`);
    }
    return this.shape[d] as number;
  }

  /** Name of the op that made this tensor, as `grad_fn` prints (`<MulBackward>`). */
  get gradFnName(): string | null {
    return this.gradFn ? this.gradFn.toString() : null;
  }

  // ---- autograd -----------------------------------------------------------------

  /**
   * Sets `requiresGrad` in place (PyTorch's `requires_grad_()`); only on leaves, and
   * only for float tensors.
   */
  requiresGrad_(requiresGrad = true): this {
    if (!this.isLeaf && !requiresGrad) {
      throw new AutogradError(
        'requiresGrad_: you can only change requiresGrad flags of leaf tensors',
        'use detach() to get a tensor that does not require grad',
      );
    }
    if (requiresGrad && !isFloating(this.dtype)) {
      throw new DTypeError(`requiresGrad_: only float32 tensors can require gradients, got ${this.dtype}`);
    }
    this.requires = requiresGrad;
    return this;
  }

  /** Asks a non-leaf tensor to keep its `.grad` after backward (PyTorch's `retain_grad()`). */
  retainGrad(): this {
    if (!this.requires) throw new AutogradError("retainGrad: can't retain grad on a tensor that does not require grad");
    this.retains = true;
    return this;
  }

  /** Whether {@link retainGrad} was called, or the tensor is a leaf requiring grad. @internal */
  get wantsGrad(): boolean {
    return this.retains || (this.isLeaf && this.requires);
  }

  /**
   * Registers `hook(param)` to run right after this leaf's `.grad` was accumulated by
   * backward (PyTorch's `register_post_accumulate_grad_hook`); gradient bucketing for
   * all-reduce starts from here.
   */
  registerPostAccumulateGradHook(hook: PostAccumulateGradHook): RemovableHandle {
    if (!this.isLeaf) {
      throw new AutogradError('registerPostAccumulateGradHook: post accumulate grad hooks can only be registered on leaf tensors');
    }
    const hooks = (this.hooks ??= []);
    hooks.push(hook);
    return {
      remove: () => {
        const i = hooks.indexOf(hook);
        if (i !== -1) hooks.splice(i, 1);
      },
    };
  }

  /** @internal */
  runPostAccumulateHooks(): void {
    if (this.hooks === null) return;
    for (const hook of this.hooks) hook(this);
  }

  /**
   * Computes the gradient of this tensor with respect to the graph leaves and
   * accumulates it into their `.grad` (PyTorch's `backward()`). The graph is freed
   * afterwards unless `retainGraph` is set.
   *
   * @example
   * ```ts
   * const loss = lossFn(model.forward(X), y);
   * optimizer.zeroGrad();
   * loss.backward();
   * ```
   */
  backward(gradient?: Tensor, options: BackwardOptions = {}): void {
    runBackward(this, gradient, options);
  }

  // ---- values -------------------------------------------------------------------

  /** A copy of the values as a flat typed array (PyTorch's `.numpy()` for a flat view). */
  data(): TypedArray {
    return this.storage('data').read();
  }

  /**
   * The values without a copy while they still wait on the host (tensors made by the
   * creation functions before their first use by a kernel), else `null`. Data loading
   * uses it to build batches in worker threads without starting a backend there; the
   * array must be treated as read-only.
   *
   * @example
   * ```ts
   * const img = fromArray(pixels, [1, 28, 28]);
   * img.hostView(); // the Float32Array, no copy
   * ```
   */
  hostView(): TypedArray | null {
    return this.storage('hostView').peekHost();
  }

  /**
   * Copies the values, flat, into `out` starting at `offset`, without allocating: on the
   * wasm backend straight from its memory. For gradient buckets and pinned buffers
   * (PyTorch: `out[offset:offset + n].copy_(t.flatten())`).
   *
   * @example
   * ```ts
   * const flat = new Float32Array(w.numel() + b.numel());
   * w.copyInto(flat); b.copyInto(flat, w.numel());
   * ```
   */
  copyInto(out: TypedArray, offset = 0): void {
    const n = this.numel();
    if (!Number.isInteger(offset) || offset < 0 || offset + n > out.length) {
      throw new ShapeError(`copyInto: ${n} values from offset ${offset} do not fit an array of ${out.length}`, 'pass an array with at least offset + numel() elements');
    }
    this.storage('copyInto').copyTo(out, offset);
  }

  /**
   * Whether the values are still on the host (no kernel has used the tensor), so that
   * {@link copyHostInto} can write them into a batch. @internal
   */
  get isOnHost(): boolean {
    return this.storage('isOnHost').onHost;
  }

  /**
   * Writes the values into `out` from `offset` when they are on the host (values made
   * on demand, as ToTensor's, are written there directly) and returns true; returns
   * false, writing nothing, once they are on the backend. @internal
   */
  copyHostInto(out: TypedArray, offset: number): boolean {
    return this.storage('copyHostInto').copyHostTo(out, offset);
  }

  /** The value of a one-element tensor as a number (`true`/`false` become 1/0). */
  item(): number {
    const n = this.numel();
    if (n !== 1) {
      throw new AutogradError(`item: a tensor with ${n} elements cannot be converted to a number`, 'item() needs exactly one element; use data() or toArray() for more');
    }
    return (this.data() as TypedArray)[0] as number;
  }

  /** The values as nested arrays (PyTorch's `tolist()`); bools as booleans. */
  toArray(): NestedArray {
    const flat = this.data();
    const asValue = (i: number): number | boolean => (this.dtype === 'bool' ? flat[i] !== 0 : (flat[i] as number));
    if (this.shape.length === 0) return asValue(0);
    const build = (dim: number, offset: number): NestedArray[] => {
      const n = this.shape[dim] as number;
      const stride = sizeOf(this.shape.slice(dim + 1));
      const out: NestedArray[] = new Array(n);
      for (let i = 0; i < n; i++) {
        out[i] = dim === this.shape.length - 1 ? asValue(offset + i) : build(dim + 1, offset + i * stride);
      }
      return out;
    };
    return build(0, 0);
  }

  /** PyTorch-like summary: `tensor([...], shape=[2,3], dtype=float32, grad_fn=<AddBackward>)`. */
  toString(): string {
    if (this.isDisposed) return `tensor(<released>, shape=${formatShape(this.shape)}, dtype=${this.dtype})`;
    const n = this.numel();
    const body = n <= 20 && backendInfo() !== null ? JSON.stringify(this.toArray()) : '...';
    const extra = this.gradFn ? `, grad_fn=${this.gradFn.toString()}` : this.requires ? ', requiresGrad=true' : '';
    return `tensor(${body}, shape=${formatShape(this.shape)}, dtype=${this.dtype}${extra})`;
  }
}

setTensorCheck((v: unknown): v is Tensor => v instanceof Tensor);

/** Whether gradients should be recorded for an op over `inputs`. @internal */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  if (!isGradEnabled()) return false;
  for (const t of inputs) if (t && t.requiresGrad) return true;
  return false;
}

/** Count of Loom tensors not yet released (diagnostics and memory tests). */
export function liveTensorCount(): number {
  return liveTensors;
}
