/**
 * conv1d / conv2d against PyTorch 1.13 (tools/goldens/make_conv_goldens.py), forward
 * and every gradient, on the wasm and cpu backends; and the argument checks.
 */
import {
  ArgumentError, DTypeError, ShapeError, conv1d, conv2d, memoryStats, ones, randn, scope, setBackend, zeros, type Tensor,
} from '../index';
import { expectClose, goldenCases, goldenTensor, type GoldenCase, type Tolerance } from './testing/conv-goldens';

/** float32 sums in another order than PyTorch's (the atol scales with the values' RMS). */
const TOLERANCE: Tolerance = { rtol: 1e-5, atol: 1e-6 };
/** For the case with 32 input channels: 288-term forward sums, 400-term weight-gradient sums. */
const LONG_REDUCTION: Tolerance = { rtol: 1e-4, atol: 1e-6 };

const BACKENDS = ['wasm', 'cpu'] as const;

function run(c: GoldenCase): { y: Tensor; x: Tensor; w: Tensor; b: Tensor | null } {
  const x = goldenTensor(c, 'input', true);
  const w = goldenTensor(c, 'weight', true);
  const b = c.arrays.bias ? goldenTensor(c, 'bias', true) : null;
  const y = c.op === 'conv1d' ? conv1d(x, w, b, c.options) : conv2d(x, w, b, c.options);
  return { y, x, w, b };
}

describe.each(BACKENDS)('convolution on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  test.each(goldenCases('conv').map((c) => [c.name, c] as const))('%s matches PyTorch', (_name, c) => {
    const tol = c.name === 'long_reduction' ? LONG_REDUCTION : TOLERANCE;
    scope(() => {
      const { y, x, w, b } = run(c);
      expectClose(y, c, 'output', tol);
      y.backward(goldenTensor(c, 'grad'));
      expectClose(x.grad, c, 'grad_input', tol);
      expectClose(w.grad, c, 'grad_weight', tol);
      if (b !== null) expectClose(b.grad, c, 'grad_bias', tol);
    });
  });

  test('computes only the gradients that are needed and leaks no kernel tensors', () => {
    const x = randn([2, 3, 8, 8]);
    const w = randn([4, 3, 3, 3], { requiresGrad: true });
    const step = (): void => scope(() => conv2d(x, w, null, { stride: 2, padding: 1 }).sum().backward());
    // The first step uploads x and w and creates w.grad; later steps add nothing.
    step();
    const before = memoryStats().tfjsTensors;
    step();
    step();
    expect(memoryStats().tfjsTensors).toBe(before);
    expect(x.grad).toBeNull();
    expect(w.grad!.shape).toEqual([4, 3, 3, 3]);
  });

  test('records a grad_fn only when an operand requires grad', () => {
    const x = randn([1, 1, 5, 5]);
    expect(conv2d(x, ones([1, 1, 3, 3])).gradFnName).toBeNull();
    expect(conv2d(x, ones([1, 1, 3, 3], { requiresGrad: true })).gradFnName).toBe('<conv2dBackward>');
  });
});

describe('convolution arguments', () => {
  beforeAll(async () => {
    await setBackend('wasm');
  });

  test('names the op, the argument and the shapes on a wrong input rank', () => {
    expect(() => conv2d(zeros([28, 28]), zeros([32, 1, 3, 3]))).toThrow('conv2d: expected input with 4 dims [N,C,H,W], got [28,28]');
    expect(() => conv2d(zeros([28, 28]), zeros([32, 1, 3, 3]))).toThrow(ShapeError);
    expect(() => conv1d(zeros([2, 3, 4, 5]), zeros([4, 3, 3]))).toThrow('conv1d: expected input with 3 dims [N,C,L], got [2,3,4,5]');
    expect(() => conv2d(zeros([1, 1, 5, 5]), zeros([32, 3]))).toThrow('conv2d: expected weight with 4 dims [Cout,Cin/groups,kH,kW], got [32,3]');
  });

  test('names both shapes on a channel mismatch', () => {
    expect(() => conv2d(zeros([64, 1, 28, 28]), zeros([32, 3, 3, 3]))).toThrow(
      'conv2d: weight [32,3,3,3] expects 3 input channels (x groups 1), input has 1: input is [64,1,28,28]',
    );
    expect(() => conv2d(zeros([2, 4, 5, 5]), zeros([6, 4, 3, 3]), null, { groups: 2 })).toThrow(
      'conv2d: weight [6,4,3,3] expects 4 input channels (x groups 2), input has 4: input is [2,4,5,5]',
    );
    expect(() => conv2d(zeros([2, 4, 5, 5]), zeros([5, 2, 3, 3]), null, { groups: 2 })).toThrow('groups 2 does not divide');
  });

  test('checks bias, groups, strides, padding and kernel size', () => {
    const x = zeros([1, 3, 5, 5]);
    const w = zeros([4, 3, 3, 3]);
    expect(() => conv2d(x, w, zeros([3]))).toThrow('conv2d: bias must have shape [4] (one value per output channel), got [3]');
    expect(() => conv2d(x, w, null, { groups: 0 })).toThrow(ArgumentError);
    expect(() => conv2d(x, w, null, { stride: 0 })).toThrow('conv2d: stride must be a positive integer or a pair of them, got 0');
    expect(() => conv2d(x, w, null, { padding: -1 })).toThrow('conv2d: padding must be a non-negative integer or a pair of them, got -1');
    expect(() => conv2d(x, w, null, { dilation: [1, 2, 3] as unknown as [number, number] })).toThrow(ArgumentError);
    expect(() => conv2d(x, w, null, { padding: 'same', stride: 2 })).toThrow("conv2d: padding='same' is not supported for strided convolutions (stride [2,2])");
    expect(() => conv1d(zeros([1, 3, 8]), zeros([4, 3, 3]), null, { padding: 'same', stride: 2 })).toThrow('(stride 2)');
    expect(() => conv2d(x, zeros([4, 3, 3, 3]), null, { dilation: 3 })).toThrow(
      'conv2d: kernel [3,3] with dilation [3,3] spans [7,7], more than the padded input [5,5]: input is [1,3,5,5]',
    );
    expect(() => conv2d(x.int(), w)).toThrow(DTypeError);
  });

  test('accepts unbatched inputs as PyTorch does', () => {
    expect(conv2d(zeros([3, 6, 5]), zeros([2, 3, 3, 3]), null, { padding: 1 }).shape).toEqual([2, 6, 5]);
    expect(conv1d(zeros([3, 10]), zeros([2, 3, 3]), null, { stride: 2 }).shape).toEqual([2, 4]);
    expect(conv2d(zeros([1, 3, 7, 7]), zeros([2, 3, 4, 4]), null, { padding: 'same' }).shape).toEqual([1, 2, 7, 7]);
  });
});
