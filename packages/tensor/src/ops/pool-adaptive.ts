/**
 * `adaptiveAvgPool2d`: average pooling to a requested output size (PyTorch's
 * `F.adaptive_avg_pool2d`). Output cell `i` averages input rows
 * `floor(i*H/oH) .. ceil((i+1)*H/oH) - 1`, so windows may differ in size and overlap.
 * When the sizes divide it is an ordinary average pooling; otherwise it is linear in
 * the input and written as two products with averaging matrices,
 * `A_h @ x @ A_w^T`, whose gradients come from `matmul`.
 */
import { ArgumentError, formatShape } from '../errors';
import type { Tensor } from '../tensor';
import { checkInputRank, expectFloat } from './conv-args';
import { fromArray } from './creation';
import { matmul } from './matmul';
import { expectTensor } from './operand';
import { avgPool2d } from './pool';
import { t } from './shape-ops';

const OP = 'adaptiveAvgPool2d';

function checkOutputSize(outputSize: unknown, input: readonly number[]): [number, number] {
  const list = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
  const [h, w] = input.slice(-2) as [number, number];
  if (Array.isArray(list) && list.length === 2) {
    const sizes = list.map((v, a) => (v === null ? (a === 0 ? h : w) : v));
    if (sizes.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 1)) return sizes as [number, number];
  }
  throw new ArgumentError(
    `${OP}: outputSize must be a positive integer or a pair of them (null keeps the input size), got ${JSON.stringify(outputSize)}`,
  );
}

/** `[out, in]`: row `i` averages PyTorch's adaptive window `i`. */
function averagingMatrix(input: number, output: number): Tensor {
  const values = new Float32Array(output * input);
  for (let i = 0; i < output; i++) {
    const start = Math.floor((i * input) / output);
    const end = Math.ceil(((i + 1) * input) / output);
    for (let j = start; j < end; j++) values[i * input + j] = 1 / (end - start);
  }
  return fromArray(values, [output, input]);
}

/**
 * Average pooling to `outputSize` (one number for both dims, or `[h, w]` where `null`
 * keeps the input's size) over `[N,C,H,W]` or `[C,H,W]`.
 *
 * @example
 * ```ts
 * adaptiveAvgPool2d(features, 1).shape;      // [8,512,7,7] -> [8,512,1,1]
 * adaptiveAvgPool2d(features, [3, null]).shape; // [8,512,7,7] -> [8,512,3,7]
 * ```
 */
export function adaptiveAvgPool2d(input: Tensor, outputSize: number | [number | null, number | null]): Tensor {
  const x = expectTensor(input, OP, 'input');
  checkInputRank(x, OP, ['N', 'C', 'H', 'W']);
  expectFloat(x, OP, 'input');
  const [oh, ow] = checkOutputSize(outputSize, x.shape);
  const [h, w] = x.shape.slice(-2) as [number, number];
  if (h === 0 || w === 0) throw new ArgumentError(`${OP}: expected non-empty spatial dims, got input ${formatShape(x.shape)}`);
  if (h % oh === 0 && w % ow === 0) {
    const kernel: [number, number] = [h / oh, w / ow];
    return avgPool2d(x, kernel);
  }
  return matmul(matmul(averagingMatrix(h, oh), x), t(averagingMatrix(w, ow)));
}
