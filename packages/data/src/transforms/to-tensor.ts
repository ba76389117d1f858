/** `ToTensor`, as `torchvision.transforms.ToTensor` for 8-bit images. */
import { ArgumentError, type Tensor } from '@loom/tensor';
import { hostTensor } from '../internal/host-tensor';
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
    const plane = height * width;
    const out = new Float32Array(data.length);
    if (channels === 1) {
      for (let i = 0; i < plane; i++) out[i] = BYTE_TO_UNIT[data[i]!]!;
    } else {
      // H x W x C to C x H x W.
      for (let c = 0; c < channels; c++) {
        for (let i = 0; i < plane; i++) out[c * plane + i] = BYTE_TO_UNIT[data[i * channels + c]!]!;
      }
    }
    return hostTensor(out, [channels, height, width], 'float32');
  }

  workerSpec(): WorkerSpec {
    return { module: '@loom/data', exportName: 'ToTensor', args: [] };
  }
}
