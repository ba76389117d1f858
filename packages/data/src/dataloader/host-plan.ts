/**
 * Whether a DataLoader's workers can compute its batches without the dataset's code.
 *
 * NOTE [Host-only workers]
 * A worker thread is a V8 isolate of its own: every module it loads is compiled and
 * held again in each thread, and its heap grows with them. The dataset path
 * (worker-fetch.ts) loads `@loom/data`, `@loom/tensor` and tfjs-core into each worker
 * (their code and tfjs-core's set-up: about 7 MB of live heap per thread, a heap of
 * 15-20 MB once it runs, measured on Fashion-MNIST with ToTensor). The quickstart's
 * pipeline needs none of it: for MNIST and Fashion-MNIST with ToTensor (then any
 * Normalize), each output value is a function of one pixel byte, so the main thread
 * runs the real transform once over the 256 byte values, and the workers write
 * `table[byte]` for each pixel, and the labels, straight into the pinned slot, as
 * `stackIntoSlot` writes ToTensor's samples and `defaultCollate` their labels. Such a
 * worker loads 18 modules (4 MB of live heap, 8 MB running); going from 0 to 4 workers
 * adds 13 MB of RSS instead of 74 MB (README.md, "Worker memory").
 *
 *   main thread                          worker thread (worker.js, host-batch.js)
 *   FashionMNIST({ transform: ToTensor })
 *   table = transform(bytes 0..255)  --- workerData.hostPlan { images, labels (shared), table } -->
 *   task { indices, slot }           --> X[j, k] = table[images[i_j, k]]  (into the slot)
 *                                        y[j]    = labels[i_j]
 *   batch [X, y] = views of the slot <-- { slot, shapes, offsets }, as stackIntoSlot answers
 *
 * The plan is used only when no user code could run in the worker, so nothing can
 * tell the difference: the dataset is exactly `MNIST` or `FashionMNIST` (a subclass
 * may override `getItem`) or a `Subset` of one (`randomSplit`'s), its transform
 * exactly `ToTensor` or a `Compose` of `ToTensor` then `Normalize`s, no
 * `targetTransform`, `defaultCollate` with auto-batching and no `workerInitFn`.
 * Otherwise, and for a batch whose indices are not all in range (so that its error
 * reads as the dataset raises it), the worker loads the dataset path.
 *
 * @internal
 */
import { Tensor, scope } from '@loom/tensor';
import { Subset } from '../dataset/subset';
import { readValues } from '../internal/host-tensor';
import { Compose } from '../transforms/compose';
import { Normalize } from '../transforms/normalize';
import { ToTensor } from '../transforms/to-tensor';
import { applyTransform } from '../transforms/transform';
import { HostImage } from '../vision/host-image';
import { FashionMNIST, MNIST } from '../vision/mnist';
import type { LoaderView } from './loader-view';
import type { HostPlan } from './worker-protocol';

/** The values of an 8-bit pixel. */
const BYTE_VALUES = 256;

/** Whether `value` is an instance of `ctor` itself (not of a subclass) that does not override `method` on itself. */
function isExactly(value: unknown, ctor: abstract new (...args: never[]) => unknown, method: string): boolean {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === ctor.prototype && !Object.hasOwn(value, method);
}

/** Whether a transform turns each pixel byte into one float32 value on its own: ToTensor, then any Normalize. */
function isBytewise(transform: unknown): boolean {
  const parts = isExactly(transform, Compose, 'forward') ? (transform as Compose).transforms : [transform];
  return parts.length > 0 && isExactly(parts[0], ToTensor, 'forward') && parts.slice(1).every((t) => isExactly(t, Normalize, 'forward'));
}

/**
 * The transform's output for each byte value: the real transform run on a 1 x 256
 * image holding the values 0..255. Null if it does not give one float32 value per
 * pixel (then it raises its error in the workers, as it would have).
 */
function byteTable(transform: unknown): Float32Array | null {
  const bytes = Uint8Array.from({ length: BYTE_VALUES }, (_, v) => v);
  try {
    return scope(() => {
      const out = applyTransform(transform as (image: HostImage) => unknown, new HostImage(bytes, 1, BYTE_VALUES, 1));
      if (!(out instanceof Tensor) || out.dtype !== 'float32' || out.numel() !== BYTE_VALUES) return null;
      return Float32Array.from(readValues(out) as Float32Array);
    });
  } catch {
    return null;
  }
}

/** The host plan for a loader's workers, or null when they must run the dataset's code. */
export function hostPlanFor<B>(loader: LoaderView<B>): HostPlan | null {
  if (loader.datasetKind !== 'map' || loader.workerCollate.kind !== 'default' || loader.workerInitFn !== null) return null;
  const subset = isExactly(loader.dataset, Subset, 'getItem') ? (loader.dataset as Subset) : null;
  const dataset = subset === null ? loader.dataset : subset.dataset;
  if (!isExactly(dataset, FashionMNIST, 'getItem') && !isExactly(dataset, MNIST, 'getItem')) return null;
  const mnist = dataset as MNIST<unknown, unknown>;
  if (mnist.targetTransform !== null || !isBytewise(mnist.transform)) return null;
  const table = byteTable(mnist.transform);
  if (table === null) return null;
  return { kind: 'byte-images', images: mnist.data, labels: mnist.targets, pixels: mnist.height * mnist.width, sampleShape: [1, mnist.height, mnist.width], table, subset: subset?.indices ?? null };
}
