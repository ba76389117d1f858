/** `ToTensor`, as `torchvision.transforms.ToTensor` for 8-bit images. */
import { ArgumentError, type Tensor, type TypedArray } from '@loom/tensor';
import { lazyHostTensor } from '../internal/host-tensor';
import { describe } from '../internal/values';
import { HostImage } from '../vision/host-image';
import type { WorkerRecreatable, WorkerSpec } from '../worker-spec';
import type { Transform } from './transform';

/** The largest 8-bit value: torchvision divides bytes by it. */
const UINT8_MAX = 255;

/**
 * `v / 255` as float32 for each byte value: torchvision's `img.to(float32).div(255)`
 * is a correctly rounded float32 division, which this table holds exactly (a double
 * quotient rounded to float32 is the same here; the goldens check all 256).
 */
const BYTE_TO_UNIT = Float32Array.from({ length: UINT8_MAX + 1 }, (_, v) => v / UINT8_MAX);

/** Pixels converted per iteration of the grayscale loop (unrolled: about 25% faster, measured). */
const UNROLL = 4;

/** Writes `pixels / 255` as float32 into `out` from `offset`, H x W x C to C x H x W. */
function toUnitFloats(pixels: Uint8Array, plane: number, channels: number, out: TypedArray, offset: number): void {
  if (channels === 1) {
    let i = 0;
    for (; i + UNROLL <= plane; i += UNROLL) {
      const o = offset + i;
      out[o] = BYTE_TO_UNIT[pixels[i]!]!;
      out[o + 1] = BYTE_TO_UNIT[pixels[i + 1]!]!;
      out[o + 2] = BYTE_TO_UNIT[pixels[i + 2]!]!;
      out[o + 3] = BYTE_TO_UNIT[pixels[i + 3]!]!;
    }
    for (; i < plane; i++) out[offset + i] = BYTE_TO_UNIT[pixels[i]!]!;
    return;
  }
  for (let c = 0; c < channels; c++) {
    const base = offset + c * plane;
    for (let i = 0; i < plane; i++) out[base + i] = BYTE_TO_UNIT[pixels[i * channels + c]!]!;
  }
}

/**
 * Converts a `HostImage` (H x W x C bytes) to a float32 tensor [C, H, W] with values
 * in [0, 1], exactly `x / 255` in float32 as torchvision. Runs without a backend.
 *
 * @example
 * ```ts
 * const trainingData = new FashionMNIST({ root: 'data', train: true, transform: new ToTensor() });
 * const [X] = trainingData.getItem(0); // Tensor [1, 28, 28] float32
 * ```
 */
export class ToTensor implements Transform<HostImage, Tensor>, WorkerRecreatable {
  forward(pic: HostImage): Tensor {
    if (!(pic instanceof HostImage)) {
      throw new ArgumentError(
        `ToTensor: pic should be a HostImage (8-bit pixels, as torchvision's PIL image), got ${describe(pic)}`,
        'ToTensor converts raw images; use it first in a Compose, before transforms that take tensors (Normalize)',
      );
    }
    const { data, height, width, channels } = pic;
    // The conversion runs when the values are needed: in defaultCollate, straight into
    // the batch (the pixels are the dataset's read-only memory, so they cannot change).
    return lazyHostTensor((out, offset) => toUnitFloats(data, height * width, channels, out, offset), [channels, height, width], 'float32');
  }

  workerSpec(): WorkerSpec {
    return { module: '@loom/data', exportName: 'ToTensor', args: [] };
  }
}
