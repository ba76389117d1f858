/** `RandomHorizontalFlip`, as `torchvision.transforms.RandomHorizontalFlip`. */
import { ArgumentError, defaultGenerator, type Generator, type Tensor } from '@loom/tensor';
import type { HostImage } from '../vision/host-image';
import type { WorkerRecreatable, WorkerSpec } from '../worker-spec';
import { identityMap, toRaster } from './raster';
import type { Transform } from './transform';

/**
 * Mirrors an image left to right with probability `p` (a `HostImage` or a tensor
 * [..., H, W]; the output has the input's type). Each call draws one float as
 * torchvision's `torch.rand(1) < p`, from `generator` or else the default generator,
 * so `manualSeed` gives torchvision's flips. In a DataLoader worker the default
 * generator is the worker's (seeded with its seed); a `generator` given here is not
 * sent to workers, since every worker would then repeat the same flips.
 *
 * @example
 * ```ts
 * new Compose([new RandomHorizontalFlip(), new ToTensor()]);
 * new RandomHorizontalFlip(0.3, { generator: new Generator(1) });
 * ```
 */
export class RandomHorizontalFlip implements Transform<HostImage | Tensor, HostImage | Tensor>, WorkerRecreatable {
  readonly generator: Generator | undefined;

  constructor(
    readonly p = 0.5,
    options: { generator?: Generator } = {},
  ) {
    if (!(p >= 0 && p <= 1)) throw new ArgumentError(`RandomHorizontalFlip: p should be a probability in [0, 1], got ${p}`);
    this.generator = options.generator;
  }

  forward<T extends HostImage | Tensor>(image: T): T {
    const raster = toRaster('RandomHorizontalFlip', image);
    // torch.rand(1) < p compares in float32 (a Python float against a float tensor).
    if (!((this.generator ?? defaultGenerator).uniform(1)[0]! < Math.fround(this.p))) return image;
    return raster.resample(identityMap(raster.height), identityMap(raster.width).reverse(), 0) as T;
  }

  workerSpec(): WorkerSpec {
    return { module: '@loom/data', exportName: 'RandomHorizontalFlip', args: [this.p] };
  }
}
