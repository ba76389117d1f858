/**
 * The sum over the first dim of a matrix (`linear`'s bias gradient), without the
 * transpose that tfjs's `Sum` makes to bring the reduced axis last.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hasHostKernel, registerHostKernel, runHostKernel, type HostArray } from './host-kernel';
import { sumOver } from '../ops/kernels';

/** `out[j] = sum_i x[i][j]` for a float32 `x` `[rows, n]`. */
export const SUM_DIM0 = 'LoomSumDim0';

/** Rows summed per pass over the columns. */
const ROWS_PER_PASS = 4;

/** `acc[j] = sum_i x[i][j]`, each addition rounded by `round`, rows in order. */
function sumRows(x: HostArray, rows: number, n: number, acc: HostArray | Float64Array, round: (v: number) => number): void {
  acc.fill(0);
  let i = 0;
  for (; i + ROWS_PER_PASS <= rows; i += ROWS_PER_PASS) {
    const r0 = i * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    for (let j = 0; j < n; j++) {
      let s = acc[j] as number;
      s = round(s + (x[r0 + j] as number));
      s = round(s + (x[r1 + j] as number));
      s = round(s + (x[r2 + j] as number));
      acc[j] = round(s + (x[r3 + j] as number));
    }
  }
  for (; i < rows; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++) acc[j] = round((acc[j] as number) + (x[row + j] as number));
  }
}

registerHostKernel({
  kernelName: SUM_DIM0,
  inputNames: ['x'],
  outputs: ([x]) => [{ shape: [x!.shape[1] as number], dtype: 'float32' }],
  // Each column summed from 0 in row order, as the backends' Sum does after its
  // transpose: in float32 at every step on wasm, in a double rounded once on cpu. Four
  // rows per pass keep the running sums in registers (same order, same roundings).
  run: ([x], [out], [info], _attrs, ctx) => {
    const rows = info!.shape[0] as number;
    const n = info!.shape[1] as number;
    const values = x!;
    if (ctx.accumulate === 'float32') {
      sumRows(values, rows, n, out!, Math.fround);
    } else {
      const acc = new Float64Array(n);
      sumRows(values, rows, n, acc, (v) => v);
      out!.set(acc);
    }
  },
});

/**
 * `sum(x, 0)` for a 2-D float32 kernel value (zeros when `x` has no row).
 *
 * @example
 * ```ts
 * sumDim0(grad).shape; // [64, 512] -> [512]
 * ```
 */
export function sumDim0(x: tf.Tensor): tf.Tensor {
  if (x.dtype === 'float32' && x.rank === 2 && hasHostKernel(SUM_DIM0)) return runHostKernel(SUM_DIM0, { x }) as tf.Tensor;
  return sumOver(x, 0);
}
