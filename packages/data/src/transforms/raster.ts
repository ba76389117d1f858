/**
 * Geometry on host pixels for the random transforms: an image (a `HostImage`, or a
 * tensor [..., H, W]) resampled through a row map and a column map. Flips, crops and
 * paddings are all separable, so each is two index arrays; padding composes by
 * mapping the maps (see `padMap`).
 */
import { ArgumentError, Tensor, type TypedArray } from '@loom/tensor';
import { allocateFor, hostTensor, readValues } from '../internal/host-tensor';
import { describe } from '../internal/values';
import { HostImage } from '../vision/host-image';

/** How torchvision fills a padded border. */
export type PaddingMode = 'constant' | 'edge' | 'reflect' | 'symmetric';

/** The padding modes, for validation. @internal */
export const PADDING_MODES: readonly PaddingMode[] = ['constant', 'edge', 'reflect', 'symmetric'];

/** An index map entry that reads the fill value instead of a pixel. */
const FILL = -1;

/** An image's pixels and layout, whichever type it came as. @internal */
export interface Raster {
  height: number;
  width: number;
  /** Builds the output of the input's type from resampled pixels. */
  resample(rows: Int32Array, cols: Int32Array, fill: number): HostImage | Tensor;
}

/** Reads the layout of a `HostImage` or a tensor [..., H, W]. @internal */
export function toRaster(where: string, image: unknown): Raster {
  if (image instanceof HostImage) {
    const { data, height, width, channels } = image;
    return {
      height,
      width,
      resample(rows, cols, fill) {
        const out = new Uint8Array(rows.length * cols.length * channels);
        let o = 0;
        for (const y of rows) {
          for (const x of cols) {
            const base = (y * width + x) * channels;
            for (let c = 0; c < channels; c++) out[o++] = y === FILL || x === FILL ? fill : data[base + c]!;
          }
        }
        return new HostImage(out, rows.length, cols.length, channels);
      },
    };
  }
  if (image instanceof Tensor) {
    const shape = image.shape;
    if (shape.length < 2) throw new ArgumentError(`${where}: expected a tensor image of shape [..., H, W], got shape [${shape.join(', ')}]`);
    const height = shape[shape.length - 2]!;
    const width = shape[shape.length - 1]!;
    const values: TypedArray = readValues(image);
    const planes = height * width === 0 ? 0 : values.length / (height * width);
    return {
      height,
      width,
      resample(rows, cols, fill) {
        const out = allocateFor(image.dtype, planes * rows.length * cols.length);
        let o = 0;
        for (let p = 0; p < planes; p++) {
          const base = p * height * width;
          for (const y of rows) {
            for (const x of cols) out[o++] = y === FILL || x === FILL ? fill : values[base + y * width + x]!;
          }
        }
        return hostTensor(out, [...shape.slice(0, -2), rows.length, cols.length], image.dtype);
      },
    };
  }
  throw new ArgumentError(`${where}: expected a HostImage or a Tensor [..., H, W], got ${describe(image)}`);
}

/** `0, 1, ..., n - 1`. @internal */
export function identityMap(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/**
 * Pads an index map by `before` and `after` entries in `mode` (numpy's `np.pad` rules,
 * which torchvision uses for PIL images; reflections repeat when the padding is wider
 * than the image). Entries that were already fill stay fill.
 * @internal
 */
export function padMap(map: Int32Array, before: number, after: number, mode: PaddingMode): Int32Array {
  const n = map.length;
  const out = new Int32Array(before + n + after);
  for (let k = 0; k < out.length; k++) {
    const i = k - before;
    const source = i >= 0 && i < n ? i : outside(i, n, mode);
    out[k] = source === FILL ? FILL : map[source]!;
  }
  return out;
}

/** Where position `i` outside [0, n) reads from under `mode`. */
function outside(i: number, n: number, mode: PaddingMode): number {
  if (mode === 'constant' || n === 0) return FILL;
  if (mode === 'edge') return i < 0 ? 0 : n - 1;
  if (mode === 'reflect') {
    if (n === 1) return 0;
    const period = 2 * (n - 1);
    const r = ((i % period) + period) % period;
    return r < n ? r : period - r;
  }
  const period = 2 * n; // symmetric: the edge pixel repeats
  const r = ((i % period) + period) % period;
  return r < n ? r : period - 1 - r;
}
