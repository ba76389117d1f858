/**
 * What a transform is: an object with `forward(input)` (the built-in ones, which can be
 * re-created in worker threads) or a plain function (main thread only).
 *
 * NOTE [Transforms run without a backend]
 * Transforms run per sample, in DataLoader worker threads that never start a
 * TensorFlow.js backend. So they work on host arrays: they read `hostView()` (or a
 * `HostImage`'s bytes), compute into a new typed array and wrap it as a tensor; they
 * never call a tensor op. This is also far faster than a kernel launch per sample.
 */
import { ArgumentError } from '@loom/tensor';
import { describe } from '../internal/values';

/**
 * A transform object: `forward(input)` returns the transformed sample. Implement
 * `workerSpec()` too (see `WorkerRecreatable`) for it to work with `numWorkers > 0`.
 *
 * @example
 * ```ts
 * class Invert implements Transform<HostImage, HostImage> {
 *   forward(img: HostImage) { return new HostImage(img.data.map((v) => 255 - v), img.height, img.width); }
 *   workerSpec() { return { module: __filename, exportName: 'Invert', args: [] }; }
 * }
 * ```
 */
export interface Transform<I = any, O = any> {
  forward(input: I): O;
}

/** A transform object or a plain function (the latter cannot cross threads). */
export type TransformLike<I = any, O = any> = Transform<I, O> | ((input: I) => O);

/**
 * Applies a transform object or function.
 *
 * @example
 * ```ts
 * applyTransform(new ToTensor(), img);
 * applyTransform((y: number) => y % 2, label);
 * ```
 */
export function applyTransform<I, O>(transform: TransformLike<I, O>, input: I): O {
  return typeof transform === 'function' ? transform(input) : transform.forward(input);
}

/** Checks an optional transform argument (`transform`, `targetTransform`). @internal */
export function checkTransform(where: string, name: string, value: unknown): void {
  if (value === undefined || value === null || typeof value === 'function') return;
  if (typeof value === 'object' && typeof (value as Transform).forward === 'function') return;
  throw new ArgumentError(`${where}: ${name} must be a transform (an object with forward()) or a function, got ${describe(value)}`);
}
