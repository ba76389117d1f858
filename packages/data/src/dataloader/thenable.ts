/**
 * `getItem` may return a promise (PyTorch's map-style datasets cannot, Loom's can).
 * The loaders await only real thenables, which spares a synchronous dataset a
 * microtask per sample.
 *
 * @internal
 */

/** Whether a value is a promise (or any thenable) to await. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}
