/** `HostImage`: a raw 8-bit image on the host, Loom's stand-in for the PIL image. */
import { ArgumentError } from '@loom/tensor';

/**
 * An 8-bit image with its pixels in a `Uint8Array`, rows top to bottom and channels
 * last (H x W x C, as PIL and numpy hold them). Vision datasets return it without a
 * transform, as torchvision returns a PIL image; `ToTensor` turns it into a float
 * tensor [C, H, W] in [0, 1]. The pixels of a dataset's image are a view of the
 * dataset's memory: treat them as read-only (transforms copy).
 *
 * @example
 * ```ts
 * const [img, label] = new FashionMNIST({ root: 'data' }).getItem(0);
 * img.height; img.width; img.data[14 * 28 + 14]; // a pixel, 0..255
 * new ToTensor().forward(img); // Tensor [1, 28, 28]
 * ```
 */
export class HostImage {
  constructor(
    /** The pixels, `height * width * channels` bytes, channels last. */
    readonly data: Uint8Array,
    readonly height: number,
    readonly width: number,
    /** 1 for grayscale (PIL's mode 'L'), 3 for RGB. */
    readonly channels = 1,
  ) {
    if (!(data instanceof Uint8Array)) throw new ArgumentError('HostImage: data must be a Uint8Array');
    if (data.length !== height * width * channels) {
      throw new ArgumentError(`HostImage: data has ${data.length} bytes, expected height x width x channels = ${height} x ${width} x ${channels} = ${height * width * channels}`);
    }
  }
}
