/** `Normalize`, as `torchvision.transforms.Normalize`. */
import { ArgumentError, Tensor } from '@loom/tensor';
import { hostTensor, readValues } from '../internal/host-tensor';
import { describe } from '../internal/values';
import type { WorkerRecreatable, WorkerSpec } from '../worker-spec';
import type { Transform } from './transform';

/**
 * Normalises a float tensor image [..., C, H, W] channel by channel:
 * `(x - mean[c]) / std[c]`, in float32 as torchvision (`sub_(mean).div_(std)`).
 * A single mean/std applies to every channel. Runs on host arrays, without a backend.
 *
 * @example
 * ```ts
 * const transform = new Compose([new ToTensor(), new Normalize([0.2860], [0.3530])]);
 * ```
 */
export class Normalize implements Transform<Tensor, Tensor>, WorkerRecreatable {
  readonly mean: readonly number[];
  readonly std: readonly number[];
  private readonly mean32: Float32Array;
  private readonly std32: Float32Array;

  constructor(mean: number | readonly number[], std: number | readonly number[]) {
    this.mean = typeof mean === 'number' ? [mean] : [...mean];
    this.std = typeof std === 'number' ? [std] : [...std];
    if (this.mean.length === 0 || this.std.length === 0) throw new ArgumentError('Normalize: mean and std must not be empty');
    if (this.mean.length !== this.std.length && this.mean.length !== 1 && this.std.length !== 1) {
      throw new ArgumentError(`Normalize: mean has ${this.mean.length} values and std ${this.std.length}: expected the same count (one per channel) or a single value`);
    }
    this.mean32 = Float32Array.from(this.mean);
    this.std32 = Float32Array.from(this.std);
    if (this.std32.some((s) => s === 0)) {
      throw new ArgumentError(`Normalize: std evaluated to zero after conversion to float32, leading to division by zero (std ${JSON.stringify(this.std)})`);
    }
  }

  forward(image: Tensor): Tensor {
    if (!(image instanceof Tensor)) throw new ArgumentError(`Normalize: expected a Tensor, got ${describe(image)}`, 'put ToTensor() before Normalize in the Compose');
    if (image.dtype !== 'float32') throw new ArgumentError(`Normalize: Input tensor should be a float tensor. Got ${image.dtype}.`);
    const shape = image.shape;
    if (shape.length < 3) {
      throw new ArgumentError(`Normalize: Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = [${shape.join(', ')}]`);
    }
    const channels = shape[shape.length - 3]!;
    const count = Math.max(this.mean32.length, this.std32.length);
    if (count !== 1 && count !== channels) {
      throw new ArgumentError(`Normalize: the image has ${channels} channels (shape [${shape.join(', ')}]) but mean/std have ${count} values`);
    }
    const x = readValues(image) as Float32Array;
    const out = new Float32Array(x.length);
    const plane = shape[shape.length - 2]! * shape[shape.length - 1]!;
    for (let start = 0, c = 0; start < x.length; start += plane, c = (c + 1) % channels) {
      const m = this.mean32[this.mean32.length === 1 ? 0 : c]!;
      const s = this.std32[this.std32.length === 1 ? 0 : c]!;
      for (let i = start; i < start + plane; i++) out[i] = Math.fround(x[i]! - m) / s;
    }
    return hostTensor(out, shape, 'float32');
  }

  workerSpec(): WorkerSpec {
    return { module: '@loom/data', exportName: 'Normalize', args: [this.mean, this.std] };
  }
}
