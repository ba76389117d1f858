/**
 * Deterministic memory release for tensors.
 *
 * TensorFlow.js memory is not garbage-collected, and a training loop written like
 * PyTorch's never calls `dispose()`. Loom releases tensors at scope boundaries:
 *
 * - `scope(fn)`: every tensor created while `fn` runs is released when it returns,
 *   except the tensors in its result, which move to the enclosing scope.
 * - step scopes (`steps(iterable)`): each iteration of a loop is a scope. The
 *   DataLoader iterates through `steps`, so the seed's loop
 *   `for await (const [X, y] of loader) { ... }` frees each batch's tensors when the
 *   next batch is requested. The last iteration's tensors survive the loop (so
 *   `loss.item()` after it works) and are released when the next step scope opens.
 * - `keep(t)`: a tensor that must outlive its scope (parameters, gradients,
 *   optimizer state) is kept; it is then released only by `dispose()`.
 *
 * Tensors created outside every scope live until `dispose()` (or, as a safety net,
 * until the JavaScript object is garbage-collected). A released tensor throws a
 * `TensorDisposedError` naming the scope that released it; it never reads garbage.
 */
import type { Tensor } from '../tensor';

/** Weakly-held entries of a step scope are pruned when the list doubles past this size. */
const WEAK_PRUNE_THRESHOLD = 1024;

/**
 * A set of tensors released together. @internal
 *
 * Step scopes hold their tensors weakly: an iterator that is used once and abandoned
 * (`next(iter(loader))` in the seed) leaves its step open forever, and a strong list
 * would keep every tensor created afterwards from ever being collected.
 */
export class Scope {
  private readonly strong: Tensor[] = [];
  private readonly weakRefs: WeakRef<Tensor>[] = [];
  private pruneAt = WEAK_PRUNE_THRESHOLD;
  closed = false;

  constructor(
    readonly name: string,
    readonly weak = false,
  ) {}

  add(t: Tensor): void {
    if (!this.weak) {
      this.strong.push(t);
      return;
    }
    this.weakRefs.push(new WeakRef(t));
    if (this.weakRefs.length >= this.pruneAt) {
      let kept = 0;
      for (const ref of this.weakRefs) {
        const live = ref.deref();
        if (live !== undefined && !live.isDisposed && !live.isKept) this.weakRefs[kept++] = ref;
      }
      this.weakRefs.length = kept;
      this.pruneAt = Math.max(WEAK_PRUNE_THRESHOLD, kept * 2);
    }
  }

  /** Releases the tensors, except those in `keepSet` (or all, with `'all'`), which move to the enclosing scope. */
  close(keepSet?: Set<Tensor> | 'all'): void {
    if (this.closed) return;
    this.closed = true;
    const reason = `released at the end of ${this.name}`;
    const parent = stack[stack.length - 1];
    const release = (t: Tensor): void => {
      if (t.isKept || t.isDisposed) return;
      if (keepSet === 'all' || keepSet?.has(t)) parent?.add(t);
      else t.release(reason);
    };
    for (const t of this.strong) release(t);
    for (const ref of this.weakRefs) {
      const t = ref.deref();
      if (t !== undefined) release(t);
    }
    this.strong.length = 0;
    this.weakRefs.length = 0;
  }
}

const stack: Scope[] = [];
/** Last iterations of finished loops, released when the next step scope opens. */
const deferred: Scope[] = [];

/** Registers a new tensor with the innermost scope. @internal */
export function track(t: Tensor): void {
  stack[stack.length - 1]?.add(t);
}

/** Opens a scope; pair with {@link closeScope}. @internal */
export function openScope(name: string, weak = false): Scope {
  const s = new Scope(name, weak);
  stack.push(s);
  return s;
}

/** Closes a scope opened by {@link openScope}, keeping `keepSet` alive in the parent. @internal */
export function closeScope(s: Scope, keepSet?: Set<Tensor> | 'all'): void {
  const i = stack.lastIndexOf(s);
  if (i !== -1) stack.splice(i, 1);
  s.close(keepSet);
}

function collectTensors(value: unknown, out: Set<Tensor>, isTensor: (v: unknown) => v is Tensor, depth = 0): void {
  if (depth > 8 || value === null || typeof value !== 'object') return;
  if (isTensor(value)) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collectTensors(v, out, isTensor, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) collectTensors(v, out, isTensor, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, out, isTensor, depth + 1);
  }
}

let tensorCheck: ((v: unknown) => v is Tensor) | null = null;
/** Lets this module recognise tensors without importing the class (no cycle). @internal */
export function setTensorCheck(check: (v: unknown) => v is Tensor): void {
  tensorCheck = check;
}

function resultTensors(result: unknown): Set<Tensor> {
  const keepSet = new Set<Tensor>();
  if (tensorCheck) collectTensors(result, keepSet, tensorCheck);
  return keepSet;
}

/**
 * Runs `fn` and releases every tensor it created, except those it returns (found in
 * the result, its arrays and plain objects), which move to the enclosing scope. Like
 * `tf.tidy`, but for Loom tensors, and async functions are supported.
 *
 * @example
 * ```ts
 * const loss = scope(() => lossFn(model.forward(x), y)); // activations released, loss kept
 * ```
 */
export function scope<T>(fn: () => T, name = 'scope()'): T {
  const s = openScope(name);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    closeScope(s);
    throw err;
  }
  if (result instanceof Promise) {
    return result.then(
      (value) => {
        closeScope(s, resultTensors(value));
        return value;
      },
      (err) => {
        closeScope(s);
        throw err;
      },
    ) as unknown as T;
  }
  closeScope(s, resultTensors(result));
  return result;
}

function releaseDeferred(): void {
  for (const s of deferred.splice(0)) s.close();
}

/**
 * Wraps an iterable so that each iteration runs in its own step scope: the tensors
 * created by the loop body (and by the iterable itself while producing the item) are
 * released when the next item is requested. See the module comment for the rules.
 *
 * @example
 * ```ts
 * for (const [x, y] of steps(batches)) {
 *   const loss = lossFn(model.forward(x), y);
 *   loss.backward(); // no dispose needed: this step's tensors go at the next step
 * }
 * ```
 */
export function* steps<T>(iterable: Iterable<T>, name = 'loop step'): Generator<T, void, undefined> {
  let index = 0;
  const iterator = iterable[Symbol.iterator]();
  let current: Scope | null = null;
  try {
    for (;;) {
      releaseDeferred();
      // The next item's tensors (the batch) belong to the next step, so its scope opens
      // before the item is produced; the previous step closes once we know there is one.
      const upcoming = openScope(`${name} ${index}`, true);
      let next: IteratorResult<T>;
      try {
        next = iterator.next();
      } catch (err) {
        closeScope(upcoming);
        throw err;
      }
      if (next.done) {
        closeScope(upcoming);
        return;
      }
      if (current) closeScope(current);
      current = upcoming;
      index++;
      yield next.value;
    }
  } finally {
    if (current) deferStep(current);
  }
}

/** Async twin of {@link steps}, used by the DataLoader. */
export async function* stepsAsync<T>(iterable: AsyncIterable<T> | Iterable<T>, name = 'loop step'): AsyncGenerator<T, void, undefined> {
  let index = 0;
  const iterator =
    Symbol.asyncIterator in iterable
      ? (iterable as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (iterable as Iterable<T>)[Symbol.iterator]();
  let current: Scope | null = null;
  try {
    for (;;) {
      releaseDeferred();
      // The next item's tensors (the batch) belong to the next step, so its scope opens
      // before the item is produced; the previous step closes once we know there is one.
      const upcoming = openScope(`${name} ${index}`, true);
      let next: IteratorResult<T>;
      try {
        next = await iterator.next();
      } catch (err) {
        closeScope(upcoming);
        throw err;
      }
      if (next.done) {
        closeScope(upcoming);
        return;
      }
      if (current) closeScope(current);
      current = upcoming;
      index++;
      yield next.value;
    }
  } finally {
    if (current) deferStep(current);
    await iterator.return?.();
  }
}

/** Takes a step scope off the stack but keeps its tensors until the next step. */
function deferStep(s: Scope): void {
  const i = stack.lastIndexOf(s);
  if (i !== -1) stack.splice(i, 1);
  deferred.push(s);
}

/**
 * Opens a step scope by hand, for loops that are not `for...of` (the Trainer's).
 * Returns a function that ends the step.
 *
 * @example
 * ```ts
 * const end = beginStep('train step 3');
 * try { ... } finally { end(); }
 * ```
 */
export function beginStep(name = 'step'): () => void {
  releaseDeferred();
  const s = openScope(name);
  return () => closeScope(s);
}

/**
 * Opens a scope by hand, for work that cannot be one function given to {@link scope}
 * (a DataLoader that may have to stop half-way through a batch to await a sample).
 * Returns the function that closes it: the tensors created since are released, except
 * those in `keep`, which move to the enclosing scope; `'all'` moves every one.
 *
 * @example
 * ```ts
 * const end = beginScope('fetch');
 * const batch = defaultCollate(indices.map((i) => dataset.getItem(i)));
 * end([batch[0], batch[1]]); // the samples are released, the batch lives on
 * ```
 */
export function beginScope(name = 'beginScope()'): (keep?: Iterable<Tensor> | 'all') => void {
  const s = openScope(name);
  return (keep) => closeScope(s, keep === 'all' ? 'all' : keep === undefined ? undefined : new Set(keep));
}

/** Number of scopes open now (for tests and diagnostics). */
export function scopeDepth(): number {
  return stack.length;
}
