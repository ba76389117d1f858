/**
 * Max pooling with the index of each window's maximum, and its backward from those
 * indices, over planes `[P, H, W]` (NCHW with `P = N*C`): PyTorch's own algorithm
 * (`cpu_max_pool` / `cpu_max_pool_backward` in ATen's MaxPoolKernel.cpp), so ties go
 * to the first maximum in row-major order, a NaN wins its window (the last NaN, as
 * PyTorch scans), and an all-`-inf` window sends its gradient to its first tap.
 *
 * Why a host kernel: without the indices the backward has to find each window's
 * maximum again, which on tfjs kernels took 13 ms for the bench's second pool and 25 ms
 * for its first (ops/pool-kernels.ts: window extraction, masks, products with matrices
 * of ones), against 1.0 ms forward and 1.1 ms backward for the first one here (on
 * wasm the loops run in Loom's module, wasm-simd.ts); and tfjs-wasm's own MaxPoolGrad
 * is wrong for windows that are all <= 0.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hasHostKernel, registerHostKernel, runHostKernel, type HostArray } from './host-kernel';

/** `x` `[P,H,W]` -> `y` `[P,oH,oW]` float32 and `indices` `[P,oH,oW]` int32 (`h*W + w` in the plane). */
export const MAX_POOL_WITH_INDICES = 'LoomMaxPoolWithIndices';
/** `dy` `[P,oH,oW]` and `indices` -> `dx` `[P,H,W]`; attr `inSize`. */
export const MAX_POOL_GRAD = 'LoomMaxPoolGrad';

/** Bytes of a float32. */
const FLOAT_BYTES = 4;

/** Window placement, each as `[height, width]`: what {@link maxPoolWithIndices} needs. */
export interface MaxPoolWindows {
  kernel: [number, number];
  stride: [number, number];
  /** Implicit -inf on top and left. */
  padding: [number, number];
  dilation: [number, number];
  outSize: [number, number];
}

/** The taps of one window along one axis: first in-bounds tap and the bound. */
function span(o: number, stride: number, pad: number, kernel: number, dilation: number, size: number): [number, number] {
  let start = o * stride - pad;
  const end = Math.min(start + (kernel - 1) * dilation + 1, size);
  while (start < 0) start += dilation;
  return [start, end];
}

/**
 * 2x2 windows at stride 2 without padding (the usual `MaxPool2d(2)`), without a
 * data-dependent branch: on random data the general loop's branches are mispredicted
 * about half the time (measured 4.5 ms against 1.8 ms here for [2048,26,26]). A pair's
 * winner is the later tap only when strictly greater, which keeps the first maximum.
 * A window holding a NaN (seen as a NaN sum, as are +inf and -inf together, which is
 * rare) goes to the general loop, which scans it as PyTorch does.
 */
function forwardTiles2x2(x: HostArray, y: HostArray, idx: HostArray, planes: number, h: number, w: number, oh: number, ow: number): boolean {
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    for (let i = 0; i < oh; i++) {
      const r0 = base + 2 * i * w;
      const r1 = r0 + w;
      for (let j = 0; j < ow; j++, o++) {
        const a = r0 + 2 * j;
        const c = r1 + 2 * j;
        const va = x[a] as number;
        const vb = x[a + 1] as number;
        const vc = x[c] as number;
        const vd = x[c + 1] as number;
        const sum = va + vb + vc + vd;
        if (sum !== sum) return false;
        const top = a + +(vb > va);
        const bottom = c + +(vd > vc);
        const k = top + +((x[bottom] as number) > (x[top] as number)) * (bottom - top);
        y[o] = x[k] as number;
        idx[o] = k - base;
      }
    }
  }
  return true;
}

/** 2x2 windows at stride 2, no padding or dilation, all inside the input (ceil mode's last window can stick out). */
function tiles2x2(win: MaxPoolWindows, h: number, w: number): boolean {
  const [kh, kw] = win.kernel;
  const [oh, ow] = win.outSize;
  const plain = win.stride.every((s) => s === 2) && win.padding.every((p) => p === 0) && win.dilation.every((d) => d === 1);
  return kh === 2 && kw === 2 && plain && 2 * oh <= h && 2 * ow <= w;
}

function forward(x: HostArray, y: HostArray, idx: HostArray, planes: number, h: number, w: number, win: MaxPoolWindows): void {
  const [kh, kw] = win.kernel;
  const [sh, sw] = win.stride;
  const [ph, pw] = win.padding;
  const [dh, dw] = win.dilation;
  const [oh, ow] = win.outSize;
  if (tiles2x2(win, h, w) && forwardTiles2x2(x, y, idx, planes, h, w, oh, ow)) return;
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    for (let i = 0; i < oh; i++) {
      const [h0, h1] = span(i, sh, ph, kh, dh, h);
      for (let j = 0; j < ow; j++, o++) {
        const [w0, w1] = span(j, sw, pw, kw, dw, w);
        let m = -Infinity;
        let k = h0 < h1 && w0 < w1 ? h0 * w + w0 : -1;
        for (let r = h0; r < h1; r += dh) {
          for (let c = w0; c < w1; c += dw) {
            const v = x[base + r * w + c] as number;
            if (v > m || v !== v) {
              m = v;
              k = r * w + c;
            }
          }
        }
        y[o] = m;
        idx[o] = k;
      }
    }
  }
}

registerHostKernel({
  kernelName: MAX_POOL_WITH_INDICES,
  inputNames: ['x'],
  outputs: ([x], attrs) => {
    const shape = [x!.shape[0] as number, ...(attrs['outSize'] as number[])];
    return [{ shape, dtype: 'float32' }, { shape, dtype: 'int32' }];
  },
  run: ([x], [y, idx], [info], attrs, ctx) => {
    const [planes, h, w] = info!.shape as [number, number, number];
    const win = attrs as unknown as MaxPoolWindows;
    if (ctx.wasm !== undefined && tiles2x2(win, h, w)) {
      // forwardTiles2x2 in Loom's wasm module, where `select` keeps it branch-free (1.0 against 2.4 ms for [2048,26,26]).
      const [oh, ow] = win.outSize;
      const [yAt, idxAt] = ctx.wasm.outputs as [number, number];
      if (ctx.wasm.simd.maxPool2x2(ctx.wasm.inputs[0] as number, yAt, idxAt, planes, h, w, oh, ow) === 0) return;
    }
    forward(x!, y!, idx!, planes, h, w, win);
  },
});

registerHostKernel({
  kernelName: MAX_POOL_GRAD,
  inputNames: ['dy', 'indices'],
  outputs: ([dy], attrs) => [{ shape: [dy!.shape[0] as number, ...(attrs['inSize'] as number[])], dtype: 'float32' }],
  // Gradients added in output order, each sum rounded to float32: PyTorch's order, so
  // overlapping windows give its bits too.
  run: ([dy, idx], [dx], [info], attrs, ctx) => {
    const [planes, oh, ow] = info!.shape as [number, number, number];
    const [h, w] = attrs['inSize'] as number[] as [number, number];
    const plane = h * w;
    const outPlane = oh * ow;
    if (ctx.wasm !== undefined) {
      // The same loop in Loom's wasm module (1.1 against 1.7 ms for [2048,13,13] -> 26x26 on the conv bench).
      const [dyAt, idxAt] = ctx.wasm.inputs as [number, number];
      ctx.wasm.simd.maxPoolGrad(dyAt, idxAt, ctx.wasm.outputs[0] as number, planes, outPlane, plane * FLOAT_BYTES);
      return;
    }
    const g = dy!;
    const at = idx!;
    const out = dx!;
    out.fill(0);
    for (let p = 0; p < planes; p++) {
      const base = p * plane;
      const o0 = p * outPlane;
      for (let o = o0; o < o0 + outPlane; o++) {
        const k = at[o] as number;
        if (k >= 0) out[base + k] = (out[base + k] as number) + (g[o] as number);
      }
    }
  },
});

/**
 * Whether the active backend runs the host max pooling (wasm and cpu); elsewhere
 * ops/pool-kernels.ts computes it from tfjs kernels.
 *
 * @example
 * ```ts
 * if (hasMaxPoolWithIndices()) [y, indices] = maxPoolWithIndices(x, windows);
 * ```
 */
export function hasMaxPoolWithIndices(): boolean {
  return hasHostKernel(MAX_POOL_WITH_INDICES) && hasHostKernel(MAX_POOL_GRAD);
}

/**
 * Max pooling of float32 planes `[P,H,W]`: the maxima `[P,oH,oW]` and where each was
 * found (int32, `h*W + w` within its plane).
 *
 * @example
 * ```ts
 * const [y, indices] = maxPoolWithIndices(x, { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], outSize: [13, 13] });
 * ```
 */
export function maxPoolWithIndices(x: tf.Tensor3D, windows: MaxPoolWindows): [tf.Tensor3D, tf.Tensor3D] {
  const { kernel, stride, padding, dilation, outSize } = windows;
  const attrs = { kernel, stride, padding, dilation, outSize } as unknown as tf.NamedAttrMap;
  return runHostKernel(MAX_POOL_WITH_INDICES, { x }, attrs) as [tf.Tensor3D, tf.Tensor3D];
}

/**
 * The input gradient of {@link maxPoolWithIndices}: each output gradient added at its
 * maximum's position, zeros elsewhere.
 *
 * @example
 * ```ts
 * maxPoolGrad(dy, indices, [26, 26]).shape; // [2048,13,13] -> [2048,26,26]
 * ```
 */
export function maxPoolGrad(dy: tf.Tensor3D, indices: tf.Tensor3D, inSize: [number, number]): tf.Tensor3D {
  return runHostKernel(MAX_POOL_GRAD, { dy, indices }, { inSize }) as tf.Tensor3D;
}
