/** `Compose` and `Lambda`, as in `torchvision.transforms`. */
import { ArgumentError } from '@loom/tensor';
import { nestedWorkerSpec, type WorkerRecreatable, type WorkerSpec } from '../worker-spec';
import { applyTransform, checkTransform, type Transform, type TransformLike } from './transform';

/**
 * Applies transforms one after the other.
 *
 * @example
 * ```ts
 * const transform = new Compose([new RandomCrop(28, 4), new RandomHorizontalFlip(), new ToTensor(), new Normalize([0.5], [0.5])]);
 * ```
 */
export class Compose implements Transform, WorkerRecreatable {
  readonly transforms: readonly TransformLike[];

  constructor(transforms: readonly TransformLike[]) {
    if (!Array.isArray(transforms)) throw new ArgumentError('Compose: expected an array of transforms');
    transforms.forEach((t, i) => checkTransform('Compose', `transforms[${i}]`, t));
    this.transforms = [...transforms];
  }

  forward(input: unknown): unknown {
    let x = input;
    for (const t of this.transforms) x = applyTransform(t, x);
    return x;
  }

  /** The specs of the parts; fails naming the first one that cannot cross threads. */
  workerSpec(): WorkerSpec {
    const parts = this.transforms.map((t, i) => nestedWorkerSpec(t, 'Compose', `transforms[${i}]`));
    return { module: '@loom/data', exportName: 'Compose', args: [parts] };
  }
}

/**
 * A function as a transform, as `torchvision.transforms.Lambda`. A closure cannot be
 * sent to a worker thread, so a dataset using it only loads with `numWorkers: 0`; for
 * workers, write the transform as a class exported from your own module with a
 * `workerSpec()` (see `Transform` and `WorkerRecreatable`).
 *
 * @example
 * ```ts
 * const targetTransform = new Lambda((y: number) => (y === 9 ? 1 : 0));
 * ```
 */
export class Lambda<I = any, O = any> implements Transform<I, O> {
  constructor(readonly fn: (input: I) => O) {
    if (typeof fn !== 'function') throw new ArgumentError(`Lambda: expected a function, got ${typeof fn}`);
  }

  forward(input: I): O {
    return this.fn(input);
  }
}
