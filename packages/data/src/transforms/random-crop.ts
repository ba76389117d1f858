/** `RandomCrop`, as `torchvision.transforms.RandomCrop`. */
import { ArgumentError, defaultGenerator, type Generator, type Tensor } from '@loom/tensor';
import type { HostImage } from '../vision/host-image';
import type { WorkerRecreatable, WorkerSpec } from '../worker-spec';
import { PADDING_MODES, identityMap, padMap, toRaster, type PaddingMode } from './raster';
import type { Transform } from './transform';

/** Options of {@link RandomCrop}, torchvision's keyword arguments. */
export interface RandomCropOptions {
  /** Pad an image smaller than the crop (by the difference on both sides, as torchvision). */
  padIfNeeded?: boolean;
  /** The value of constant padding (default 0). */
  fill?: number;
  /** How the border is filled (default 'constant'). */
  paddingMode?: PaddingMode;
  /** The generator of the crop positions (default: the default generator, or the worker's). */
  generator?: Generator;
}

/**
 * Crops a random `size` window out of an image (a `HostImage` or a tensor
 * [..., H, W]), after padding it by `padding` (one value for all sides, two for
 * left/right and top/bottom, four for left, top, right, bottom). The position is
 * drawn as torchvision: `randint(0, H - h + 1)` then `randint(0, W - w + 1)` from the
 * generator (the default one unless given; in workers the worker's, see
 * `RandomHorizontalFlip`), nothing drawn when the window is the whole image.
 *
 * @example
 * ```ts
 * new RandomCrop(28, 4); // torchvision's CIFAR-style augmentation on 28x28
 * new RandomCrop([24, 20], undefined, { padIfNeeded: true, paddingMode: 'reflect' });
 * ```
 */
export class RandomCrop implements Transform<HostImage | Tensor, HostImage | Tensor>, WorkerRecreatable {
  readonly size: readonly [number, number];
  /** Left, top, right, bottom. */
  readonly padding: readonly [number, number, number, number] | null;
  readonly padIfNeeded: boolean;
  readonly fill: number;
  readonly paddingMode: PaddingMode;
  readonly generator: Generator | undefined;

  constructor(size: number | readonly number[], padding?: number | readonly number[] | null, options: RandomCropOptions = {}) {
    const where = 'RandomCrop';
    const sizes = typeof size === 'number' ? [size, size] : size.length === 1 ? [size[0]!, size[0]!] : [...size];
    if (sizes.length !== 2 || !sizes.every((s) => Number.isInteger(s) && s > 0)) {
      throw new ArgumentError(`${where}: size should be a positive integer or a sequence of 1 or 2 of them, got ${JSON.stringify(size)}`);
    }
    this.size = [sizes[0]!, sizes[1]!];
    this.padding = padding === undefined || padding === null ? null : expandPadding(where, padding);
    this.padIfNeeded = options.padIfNeeded ?? false;
    this.fill = options.fill ?? 0;
    this.paddingMode = options.paddingMode ?? 'constant';
    if (!PADDING_MODES.includes(this.paddingMode)) {
      throw new ArgumentError(`${where}: paddingMode should be one of ${PADDING_MODES.join(', ')}, got ${String(this.paddingMode)}`);
    }
    this.generator = options.generator;
  }

  forward<T extends HostImage | Tensor>(image: T): T {
    const raster = toRaster('RandomCrop', image);
    let rows = identityMap(raster.height);
    let cols = identityMap(raster.width);
    const mode = this.paddingMode;
    if (this.padding) {
      const [left, top, right, bottom] = this.padding;
      rows = padMap(rows, top, bottom, mode);
      cols = padMap(cols, left, right, mode);
    }
    const [h, w] = this.size;
    // torchvision pads by the shortfall on both sides (F.pad(img, [w - width, 0])).
    if (this.padIfNeeded && cols.length < w) cols = padMap(cols, w - cols.length, w - cols.length, mode);
    if (this.padIfNeeded && rows.length < h) rows = padMap(rows, h - rows.length, h - rows.length, mode);
    if (rows.length < h || cols.length < w) {
      throw new ArgumentError(`RandomCrop: Required crop size (${h}, ${w}) is larger than input image size (${rows.length}, ${cols.length})`, 'pass padIfNeeded: true or a padding');
    }
    let top = 0;
    let left = 0;
    if (rows.length !== h || cols.length !== w) {
      const g = this.generator ?? defaultGenerator;
      top = g.randint(1, 0, rows.length - h + 1)[0]!;
      left = g.randint(1, 0, cols.length - w + 1)[0]!;
    }
    return raster.resample(rows.subarray(top, top + h), cols.subarray(left, left + w), this.fill) as T;
  }

  workerSpec(): WorkerSpec {
    const options = { padIfNeeded: this.padIfNeeded, fill: this.fill, paddingMode: this.paddingMode };
    return { module: '@loom/data', exportName: 'RandomCrop', args: [this.size, this.padding, options] };
  }
}

/** torchvision's padding forms to [left, top, right, bottom]. */
function expandPadding(where: string, padding: number | readonly number[]): [number, number, number, number] {
  const p = typeof padding === 'number' ? [padding] : [...padding];
  if (!p.every((v) => Number.isInteger(v) && v >= 0) || ![1, 2, 4].includes(p.length)) {
    throw new ArgumentError(`${where}: padding should be a non-negative integer or a sequence of 1, 2 or 4 of them, got ${JSON.stringify(padding)}`);
  }
  if (p.length === 1) return [p[0]!, p[0]!, p[0]!, p[0]!];
  if (p.length === 2) return [p[0]!, p[1]!, p[0]!, p[1]!];
  return [p[0]!, p[1]!, p[2]!, p[3]!];
}
