/** `linear` (from `@loom/tensor`, which fuses it) and `bilinear`. */
import { ShapeError, Tensor, linear } from '@loom/tensor';

export { linear };

/**
 * `y = x1^T A x2 + b` for every row (PyTorch's `F.bilinear`): `input1` is
 * `[..., in1]`, `input2` is `[..., in2]` with the same leading dims, `weight` is
 * `[out, in1, in2]` and `bias` `[out]`; the result is `[..., out]`.
 *
 * @example
 * ```ts
 * bilinear(a, b, w, bias); // [8,3], [8,4], [5,3,4], [5] -> [8,5]
 * ```
 */
export function bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.ndim !== 3) throw new ShapeError(`bilinear: weight must be 3-D [out, in1, in2], got [${weight.shape.join(',')}]`);
  const [outF, in1, in2] = weight.shape as [number, number, number];
  const lead1 = input1.shape.slice(0, -1);
  const lead2 = input2.shape.slice(0, -1);
  if (input1.shape[input1.ndim - 1] !== in1 || input2.shape[input2.ndim - 1] !== in2 || lead1.join() !== lead2.join()) {
    throw new ShapeError(
      `bilinear: input1 [${input1.shape.join(',')}] and input2 [${input2.shape.join(',')}] do not fit weight [${weight.shape.join(',')}]`,
      `expected [..., ${in1}] and [..., ${in2}] with the same leading dims`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outF)) {
    throw new ShapeError(`bilinear: bias must have shape [${outF}], got [${bias.shape.join(',')}]`);
  }
  const x1 = input1.reshape([-1, in1]);
  const x2 = input2.reshape([-1, in2]);
  // x1 @ A viewed as [in1, out*in2], then the dot with x2 for each output.
  const a = weight.permute([1, 0, 2]).reshape([in1, outF * in2]);
  const y = x1.matmul(a).reshape([-1, outF, in2]).mul(x2.unsqueeze(1)).sum(2);
  const out = bias ? y.add(bias) : y;
  return out.reshape([...lead1, outF]);
}
