/**
 * Loom's host kernels give, bit for bit, what the tfjs kernels they replace give on the
 * same backend (NOTE (same numbers) in host-kernel.ts): random values, the float32
 * special values, shapes that are not multiples of the transpose's row block, and
 * empty ones.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from '../index';
import { batchTranspose } from './batch-transpose';
import { reluGrad } from './relu-grad';
import { rotateFilter } from './rotate-filter';
import { scaledUpdate, SCALED_UPDATE_MAX_SIZE } from './scaled-update';
import { sumDim0 } from './sum-dim0';
import { transpose2d, transposeAddBias } from './transpose';
import { hasHostKernel, setHostKernelsEnabled } from './host-kernel';

/** NaN, -NaN, ±Infinity, ±0, the largest and smallest normals and subnormals, ±1. */
const SPECIAL_BITS = [0x7fc00000, 0xffc00000, 0x7f800000, 0xff800000, 0, 0x80000000, 0x7f7fffff, 0xff7fffff, 0x00800000, 0x80800000, 1, 0x80000001, 0x3f800000, 0xbf800000];

/** Random normal values with the special values spread over the first positions. */
function values(shape: number[], seed: number): tf.Tensor {
  const random = tf.randomNormal(shape, 0, 3, 'float32', seed);
  const data = random.dataSync() as Float32Array;
  random.dispose();
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0; i < Math.min(bits.length, SPECIAL_BITS.length); i++) bits[i * 3 % bits.length] = SPECIAL_BITS[i] as number;
  return tf.tensor(data, shape);
}

/**
 * The values' bits, every NaN shown as one: JavaScript canonicalises a NaN it computes
 * (sign and payload), where wasm may keep the operand's. A NaN stays a NaN.
 */
function bitsOf(t: tf.Tensor): (number | 'NaN')[] {
  const v = t.dataSync() as Float32Array;
  return Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length), (bits, i) => (Number.isNaN(v[i]) ? 'NaN' : bits));
}

/** `fn` with the host kernels on and off (the tfjs kernels): the same bits and shape. */
function expectSameAsTfjs(fn: () => tf.Tensor, kernel: string): void {
  const host = tf.tidy(fn);
  expect(hasHostKernel(kernel)).toBe(true);
  setHostKernelsEnabled(false);
  let reference: tf.Tensor;
  try {
    reference = tf.tidy(fn);
  } finally {
    setHostKernelsEnabled(true);
  }
  expect(host.shape).toEqual(reference.shape);
  expect(bitsOf(host)).toEqual(bitsOf(reference));
  tf.dispose([host, reference]);
}

const SHAPES: [number, number][] = [[64, 512], [13, 37], [8, 8], [1, 9], [9, 1], [0, 5], [5, 0]];

describe.each(['wasm', 'cpu'] as const)('host kernels on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  afterEach(() => expect(tf.memory().numTensors).toBe(baseline));
  let baseline = 0;
  beforeEach(() => {
    baseline = tf.memory().numTensors;
  });

  test.each(SHAPES)('transpose2d [%d,%d]', (rows, cols) => {
    const x = values([rows, cols], 1);
    expectSameAsTfjs(() => transpose2d(x), 'LoomTranspose2D');
    x.dispose();
  });

  test.each(SHAPES)('transposeAddBias [%d,%d]', (rows, cols) => {
    const x = values([rows, cols], 2);
    const b = values([rows], 3);
    expectSameAsTfjs(() => transposeAddBias(x, b), 'LoomTransposeAddBias');
    tf.dispose([x, b]);
  });

  test.each(SHAPES)('reluGrad [%d,%d]', (rows, cols) => {
    const dy = values([rows, cols], 4);
    const x = values([rows, cols], 6);
    const y = tf.relu(x);
    expectSameAsTfjs(() => reluGrad(dy, y), 'LoomReluGrad');
    // Any output, not only relu's: the rule is where(y <= 0, 0, dy) on every value.
    expectSameAsTfjs(() => reluGrad(dy, x), 'LoomReluGrad');
    tf.dispose([dy, y, x]);
  });

  test.each(SHAPES)('sumDim0 [%d,%d]', (rows, cols) => {
    const x = values([rows, cols], 7);
    const wide = tf.randomUniform([rows, cols], -1e4, 1e4, 'float32', 8); // rounding at every step shows
    expectSameAsTfjs(() => sumDim0(x), 'LoomSumDim0');
    expectSameAsTfjs(() => sumDim0(wide), 'LoomSumDim0');
    tf.dispose([x, wide]);
  });

  test.each([[[2, 8, 12]], [[3, 13, 9]], [[1, 3, 2]], [[2, 4, 5]], [[2, 0, 4]]])('batchTranspose %p', (shape) => {
    const x = values(shape, 12);
    // On wasm the SIMD blocks and the edges; on cpu the wrapper takes tfjs's Transpose, the kernel its JavaScript loop.
    if (backend === 'wasm') expectSameAsTfjs(() => batchTranspose(x), 'LoomBatchTranspose');
    else tf.tidy(() => expect((tf.engine().runKernel('LoomBatchTranspose', { x }) as tf.Tensor).arraySync()).toEqual(tf.transpose(x, [0, 2, 1]).arraySync()));
    x.dispose();
  });

  test.each([[[64, 32, 3, 3]], [[4, 3, 2, 5]], [[2, 1, 1, 1]], [[0, 3, 3, 3]]])('rotateFilter %p', (shape) => {
    const w = values(shape, 11);
    expectSameAsTfjs(() => rotateFilter(w as tf.Tensor4D), 'LoomRotateFilter');
    w.dispose();
  });

  test.each([[512], [10, 512], [3, 0]])('scaledUpdate %p', (...shape) => {
    const a = values(shape, 9);
    const b = values(shape, 10);
    for (const alpha of [1e-3, -0.1, 3, 0]) {
      expectSameAsTfjs(() => scaledUpdate(a, b, alpha, 1), 'LoomScaledUpdate');
      expectSameAsTfjs(() => scaledUpdate(a, b, alpha, -1), 'LoomScaledUpdate');
    }
    tf.dispose([a, b]);
  });

  test('scaledUpdate leaves tensors above its size to tfjs', () => {
    const a = tf.ones([SCALED_UPDATE_MAX_SIZE + 1]);
    const calls = jest.spyOn(tf.engine(), 'runKernel');
    tf.tidy(() => {
      scaledUpdate(a, a, 0.5, -1);
    });
    expect(calls.mock.calls.map((c) => c[0])).not.toContain('LoomScaledUpdate');
    calls.mockRestore();
    a.dispose();
  });
});
