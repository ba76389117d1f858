/**
 * The patches of an NCHW input as a matrix, so that a convolution is one matrix
 * product on XNNPACK, in either orientation:
 *
 *   im2colT  `[C*kH*kW, N*oH*oW]`: row `(c*kH + i)*kW + j` (the order of an OIHW
 *            weight's columns) holds tap `(i, j)` of channel `c` for every output
 *            pixel `(n*oH + oh)*oW + ow`. Built from NCHW as runs of contiguous copies.
 *   im2col   `[N*oH*oW, C*kH*kW]`: its transpose, one output pixel per row, built
 *            row by row (cheap when `C*kH*kW` is small).
 *
 * Padding reads as 0. An optional ones row (im2colT) or column (im2col) carries a bias
 * through the same product (forward) or sums the output gradient into the bias
 * gradient (backward). Values are copied as int32 bits, so NaN payloads pass unchanged.
 * On wasm, im2colT's runs are copied by Loom's SIMD module (wasm-simd.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { bitsOf, hasHostKernel, registerHostKernel, runHostKernel, type HostArray } from './host-kernel';
import type { SimdExports } from './wasm-simd';

/** `x` `[N,C,H,W]` -> `[C*kH*kW (+1), N*oH*oW]`, or its transpose with attr `rows`; attrs as {@link Im2colWindows}. */
export const IM2COL = 'LoomIm2col';

/** Where the windows of a convolution fall, each as `[height, width]`. */
export interface Im2colWindows {
  kernel: [number, number];
  stride: [number, number];
  dilation: [number, number];
  /** Zero padding on top and left (bottom and right follow from `outSize`). */
  padBefore: [number, number];
  outSize: [number, number];
  /** Whether a last row (im2colT) or column (im2col) of ones is appended. */
  ones: boolean;
}

/** float32 1 as int32 bits. */
const ONE_BITS = 0x3f800000;
/** Bytes of a float32. */
const BYTES = 4;

/** The output positions `o` whose input index `o*stride + offset` lies in `[0, size)`. */
function validRange(offset: number, stride: number, size: number, count: number): [number, number] {
  const lo = offset >= 0 ? 0 : Math.ceil(-offset / stride);
  const hi = Math.min(count, Math.max(0, Math.ceil((size - offset) / stride)));
  return [Math.min(lo, hi), hi];
}

function fillTransposed(x: HostArray, out: HostArray, shape: [number, number, number, number], win: Im2colWindows): void {
  const [n, c, h, w] = shape;
  const [kh, kw] = win.kernel;
  const [sh, sw] = win.stride;
  const [dh, dw] = win.dilation;
  const [ph, pw] = win.padBefore;
  const [oh, ow] = win.outSize;
  let o = 0;
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < kh; i++) {
      const rowOffset = i * dh - ph;
      const [ohLo, ohHi] = validRange(rowOffset, sh, h, oh);
      for (let j = 0; j < kw; j++) {
        const colOffset = j * dw - pw;
        const [owLo, owHi] = validRange(colOffset, sw, w, ow);
        for (let b = 0; b < n; b++) {
          const plane = (b * c + ch) * h * w;
          for (let r = 0; r < oh; r++) {
            if (r < ohLo || r >= ohHi) {
              for (let q = 0; q < ow; q++) out[o++] = 0;
              continue;
            }
            const src = plane + (r * sh + rowOffset) * w + colOffset;
            let q = 0;
            for (; q < owLo; q++) out[o++] = 0;
            if (sw === 1) {
              for (; q < owHi; q++) out[o++] = x[src + q] as number;
            } else {
              for (; q < owHi; q++) out[o++] = x[src + q * sw] as number;
            }
            for (; q < ow; q++) out[o++] = 0;
          }
        }
      }
    }
  }
}

/**
 * {@link fillTransposed} in Loom's SIMD module, for windows inside the input at width
 * stride 1, where every row of the result is runs of `oW` contiguous values: one call
 * per row (measured 1.4 against 4.7 ms in JavaScript for conv 32->64's [289, 7744]).
 */
function fillTransposedSimd(simd: SimdExports, xAt: number, outAt: number, shape: [number, number, number, number], win: Im2colWindows): void {
  const [n, c, h, w] = shape;
  const [kh, kw] = win.kernel;
  const [sh] = win.stride;
  const [dh, dw] = win.dilation;
  const [oh, ow] = win.outSize;
  const rowBytes = n * oh * ow * BYTES;
  let row = 0;
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, row++) {
        const src = xAt + ((ch * h + i * dh) * w + j * dw) * BYTES;
        simd.copyRuns(src, outAt + row * rowBytes, n, c * h * w * BYTES, oh, (sh * w - ow) * BYTES, ow);
      }
    }
  }
}

/** Windows that never reach into the padding: no bounds checks needed. */
function inBounds(shape: [number, number, number, number], win: Im2colWindows): boolean {
  const [, , h, w] = shape;
  const last = (a: 0 | 1): number => (win.outSize[a] - 1) * win.stride[a] + (win.kernel[a] - 1) * win.dilation[a] - win.padBefore[a];
  return win.padBefore[0] === 0 && win.padBefore[1] === 0 && last(0) < h && last(1) < w;
}

/** {@link fillRows} for windows inside the input, without the bounds checks (1.2 against 1.75 ms for conv 1->32 3x3's [43264, 10]). */
function fillRowsInBounds(x: HostArray, out: HostArray, shape: [number, number, number, number], win: Im2colWindows): void {
  const [n, c, h, w] = shape;
  const [kh, kw] = win.kernel;
  const [sh, sw] = win.stride;
  const [dh, dw] = win.dilation;
  const [oh, ow] = win.outSize;
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      for (let q = 0; q < ow; q++) {
        for (let ch = 0; ch < c; ch++) {
          let src = (b * c + ch) * h * w + r * sh * w + q * sw;
          for (let i = 0; i < kh; i++, src += dh * w) {
            for (let j = 0; j < kw; j++) out[o++] = x[src + j * dw] as number;
          }
        }
        if (win.ones) out[o++] = ONE_BITS;
      }
    }
  }
}

/** One output pixel per row: `[N*oH*oW, C*kH*kW (+1)]`. */
function fillRows(x: HostArray, out: HostArray, shape: [number, number, number, number], win: Im2colWindows): void {
  if (inBounds(shape, win)) {
    fillRowsInBounds(x, out, shape, win);
    return;
  }
  const [n, c, h, w] = shape;
  const [kh, kw] = win.kernel;
  const [sh, sw] = win.stride;
  const [dh, dw] = win.dilation;
  const [ph, pw] = win.padBefore;
  const [oh, ow] = win.outSize;
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      for (let q = 0; q < ow; q++) {
        for (let ch = 0; ch < c; ch++) {
          const plane = (b * c + ch) * h * w;
          for (let i = 0; i < kh; i++) {
            const ih = r * sh + i * dh - ph;
            const inside = ih >= 0 && ih < h;
            const row = plane + ih * w;
            for (let j = 0; j < kw; j++) {
              const iw = q * sw + j * dw - pw;
              out[o++] = inside && iw >= 0 && iw < w ? (x[row + iw] as number) : 0;
            }
          }
        }
        if (win.ones) out[o++] = ONE_BITS;
      }
    }
  }
}

registerHostKernel({
  kernelName: IM2COL,
  inputNames: ['x'],
  outputs: ([x], attrs) => {
    const [n, c] = x!.shape as [number, number];
    const [kh, kw] = attrs['kernel'] as number[] as [number, number];
    const [oh, ow] = attrs['outSize'] as number[] as [number, number];
    const taps = c * kh * kw + (attrs['ones'] ? 1 : 0);
    const pixels = n * oh * ow;
    return [{ shape: attrs['rows'] ? [pixels, taps] : [taps, pixels], dtype: 'float32' }];
  },
  run: ([x], [out], [info], attrs, ctx) => {
    const shape = info!.shape as [number, number, number, number];
    const win = attrs as unknown as Im2colWindows;
    const bits = bitsOf(out!);
    if (attrs['rows']) {
      if (ctx.wasm !== undefined && inBounds(shape, win)) {
        const [kh, kw] = win.kernel;
        const [sh, sw] = win.stride;
        const [dh, dw] = win.dilation;
        const at = [ctx.wasm.inputs[0] as number, ctx.wasm.outputs[0] as number] as const;
        ctx.wasm.simd.patchRows(...at, ...shape, ...win.outSize, kh, kw, sh, sw, dh, dw, win.ones ? 1 : 0);
      } else {
        fillRows(bitsOf(x!), bits, shape, win);
      }
    } else {
      if (ctx.wasm !== undefined && win.stride[1] === 1 && inBounds(shape, win)) {
        fillTransposedSimd(ctx.wasm.simd, ctx.wasm.inputs[0] as number, ctx.wasm.outputs[0] as number, shape, win);
      } else {
        fillTransposed(bitsOf(x!), bits, shape, win);
      }
      if (win.ones) {
        const [n] = shape;
        const [oh, ow] = win.outSize;
        bits.fill(ONE_BITS, bits.length - n * oh * ow);
      }
    }
  },
});

/**
 * Whether the active backend has the host kernel (wasm and cpu).
 *
 * @example
 * ```ts
 * const patches = hasIm2col() ? im2colT(x, windows) : null;
 * ```
 */
export function hasIm2col(): boolean {
  return hasHostKernel(IM2COL);
}

function run(x: tf.Tensor4D, windows: Im2colWindows, rows: boolean): tf.Tensor2D {
  const { kernel, stride, dilation, padBefore, outSize, ones } = windows;
  const attrs = { kernel, stride, dilation, padBefore, outSize, ones, rows } as unknown as tf.NamedAttrMap;
  return runHostKernel(IM2COL, { x }, attrs) as tf.Tensor2D;
}

/**
 * The patches of a float32 NCHW `x`, one tap per row: `[C*kH*kW (+1 with ones), N*oH*oW]`.
 *
 * @example
 * ```ts
 * const colsT = im2colT(x, { kernel: [3, 3], stride: [1, 1], dilation: [1, 1], padBefore: [0, 0], outSize: [11, 11], ones: true });
 * colsT.shape; // x [64,32,13,13] -> [289, 7744]
 * ```
 */
export function im2colT(x: tf.Tensor4D, windows: Im2colWindows): tf.Tensor2D {
  return run(x, windows, false);
}

/**
 * The patches of a float32 NCHW `x`, one output pixel per row: `[N*oH*oW, C*kH*kW (+1 with ones)]`.
 *
 * @example
 * ```ts
 * const cols = im2col(x, { kernel: [3, 3], stride: [1, 1], dilation: [1, 1], padBefore: [0, 0], outSize: [26, 26], ones: true });
 * cols.shape; // x [64,1,28,28] -> [43264, 10]
 * ```
 */
export function im2col(x: tf.Tensor4D, windows: Im2colWindows): tf.Tensor2D {
  return run(x, windows, true);
}
