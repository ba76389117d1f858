/**
 * Which kernels a convolution runs: dense (groups = 1, conv-dense.ts), depthwise
 * (groups = in channels, conv-kernels.ts) or grouped (one dense convolution per group).
 */
import * as tf from '@tensorflow/tfjs-core';
import { denseBackward, denseForward, type ConvGrads, type ConvNeeds } from './conv-dense';
import { convBiasGrad, depthwiseForward, depthwiseInputGrad, depthwiseWeightGrad, type ConvGeometry } from './conv-kernels';

type Kind = 'dense' | 'depthwise' | 'grouped';

function kindOf(inChannels: number, geo: ConvGeometry): Kind {
  if (geo.groups === 1) return 'dense';
  return geo.groups === inChannels ? 'depthwise' : 'grouped';
}

/** Splits NCHW `t` into `groups` equal parts along `axis`. */
function splitGroups(t: tf.Tensor4D, groups: number, axis: number): tf.Tensor4D[] {
  return tf.split(t, groups, axis) as tf.Tensor4D[];
}

/**
 * The convolution of NCHW `x` with OIHW `w` (and `bias`), as an NCHW tensor, and what
 * the backward can reuse (a dense convolution's patches), or null.
 */
export function convForward(x: tf.Tensor4D, w: tf.Tensor4D, bias: tf.Tensor | null, geo: ConvGeometry): [tf.Tensor4D, tf.Tensor2D | null] {
  switch (kindOf(x.shape[1], geo)) {
    case 'dense':
      return denseForward(x, w, bias, geo);
    case 'depthwise':
      return [depthwiseForward(x, w, bias, geo), null];
    case 'grouped': {
      // Groups between 1 and C run one dense convolution per group.
      const xs = splitGroups(x, geo.groups, 1);
      const ws = splitGroups(w, geo.groups, 0);
      const bs = bias === null ? null : tf.split(bias, geo.groups);
      return [tf.concat(xs.map((xi, i) => denseForward(xi, ws[i] as tf.Tensor4D, bs?.[i] ?? null, geo)[0]), 1), null];
    }
  }
}

/**
 * The input, weight and bias gradients that `needs` asks for, from the NCHW output
 * gradient `g`; `saved` is what {@link convForward} returned besides the output.
 */
export function convBackward(g: tf.Tensor4D, x: tf.Tensor4D, w: tf.Tensor4D, geo: ConvGeometry, needs: ConvNeeds, saved: tf.Tensor2D | null): ConvGrads {
  switch (kindOf(x.shape[1], geo)) {
    case 'dense':
      return denseBackward(g, x, w, geo, needs, saved);
    case 'depthwise':
      return [
        needs.input ? depthwiseInputGrad(g, w, x.shape[1], geo) : null,
        needs.weight ? depthwiseWeightGrad(x, g, geo) : null,
        needs.bias ? convBiasGrad(g) : null,
      ];
    case 'grouped': {
      const xs = splitGroups(x, geo.groups, 1);
      const gs = splitGroups(g, geo.groups, 1);
      const ws = splitGroups(w, geo.groups, 0);
      const parts = xs.map((xi, i) => denseBackward(gs[i] as tf.Tensor4D, xi, ws[i] as tf.Tensor4D, geo, needs, null));
      const join = (k: 0 | 1 | 2, axis: number): tf.Tensor | null => (parts[0]?.[k] ? tf.concat(parts.map((p) => p[k] as tf.Tensor), axis) : null);
      return [join(0, 1), join(1, 0), join(2, 0)];
    }
  }
}
