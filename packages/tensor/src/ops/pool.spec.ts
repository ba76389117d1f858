/**
 * Max, average and adaptive average pooling against PyTorch 1.13
 * (tools/goldens/make_conv_goldens.py), forward and input gradient, on the wasm and
 * cpu backends; and the argument checks.
 */
import {
  ArgumentError, ShapeError, adaptiveAvgPool2d, avgPool1d, avgPool2d, maxPool1d, maxPool2d, memoryStats, randn, scope, setBackend,
  tensor, zeros, type Tensor,
} from '../index';
import { expectClose, goldenCases, goldenTensor, type GoldenCase, type Tolerance } from './testing/conv-goldens';

/** Window sums of at most 9 terms, and maxima (exact). */
const TOLERANCE: Tolerance = { rtol: 1e-5, atol: 1e-6 };

const BACKENDS = ['wasm', 'cpu'] as const;

function run(c: GoldenCase, x: Tensor): Tensor {
  const { kernelSize, outputSize, ...options } = c.options as Record<string, never>;
  switch (c.op) {
    case 'max_pool2d':
      return maxPool2d(x, kernelSize, options);
    case 'avg_pool2d':
      return avgPool2d(x, kernelSize, options);
    case 'max_pool1d':
      return maxPool1d(x, kernelSize, options);
    case 'avg_pool1d':
      return avgPool1d(x, kernelSize, options);
    case 'adaptive_avg_pool2d':
      return adaptiveAvgPool2d(x, outputSize);
    default:
      throw new Error(`unknown golden op ${c.op}`);
  }
}

describe.each(BACKENDS)('pooling on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  test.each(goldenCases('pool').map((c) => [c.name, c] as const))('%s matches PyTorch', (_name, c) => {
    scope(() => {
      const x = goldenTensor(c, 'input', true);
      const y = run(c, x);
      expectClose(y, c, 'output', TOLERANCE);
      y.backward(goldenTensor(c, 'grad'));
      expectClose(x.grad, c, 'grad_input', TOLERANCE);
    });
  });

  test('max pooling sends the gradient to the first maximum, also of all-negative windows', () => {
    const x = tensor([[[[-1, -1, 0, 0], [-1, -1, 0, 0], [-3, -2, 5, 5], [-2, -3, 5, 1]]]], { requiresGrad: true });
    maxPool2d(x, 2).sum().backward();
    expect(x.grad!.toArray()).toEqual([[[[1, 0, 1, 0], [0, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 0]]]]);
  });

  test('infinite inputs keep their gradient on the overlapping path', () => {
    const x = tensor([[[[Infinity, 1, 2], [0, -Infinity, 3], [4, 5, 6]]]], { requiresGrad: true });
    const y = maxPool2d(x, 2, { stride: 1 });
    expect(y.toArray()).toEqual([[[[Infinity, 3], [5, 6]]]]);
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([[[[1, 0, 0], [0, 0, 1], [0, 1, 1]]]]);
  });

  test('leaks no kernel tensors', () => {
    const x = randn([2, 3, 7, 7], { requiresGrad: true });
    const step = (): void =>
      scope(() => {
        maxPool2d(x, 2).sum().backward();
        maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }).sum().backward();
        avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }).sum().backward();
        adaptiveAvgPool2d(x, [3, 2]).sum().backward();
      });
    step();
    const before = memoryStats().tfjsTensors;
    step();
    expect(memoryStats().tfjsTensors).toBe(before);
  });
});

describe('pooling arguments', () => {
  beforeAll(async () => {
    await setBackend('wasm');
  });

  test('uses PyTorch defaults: stride = kernel size, no padding', () => {
    expect(maxPool2d(zeros([64, 32, 26, 26]), 2).shape).toEqual([64, 32, 13, 13]);
    expect(maxPool2d(zeros([2, 3, 11, 11]), [2, 3]).shape).toEqual([2, 3, 5, 3]);
    expect(avgPool2d(zeros([3, 6, 6]), 2).shape).toEqual([3, 3, 3]);
    expect(maxPool1d(zeros([2, 3, 10]), 3).shape).toEqual([2, 3, 3]);
    expect(avgPool1d(zeros([3, 10]), 2, { stride: 3 }).shape).toEqual([3, 3]);
  });

  test('names the op, the argument and the shapes', () => {
    expect(() => maxPool2d(zeros([28, 28]), 2)).toThrow('maxPool2d: expected input with 4 dims [N,C,H,W], got [28,28]');
    expect(() => maxPool2d(zeros([28, 28]), 2)).toThrow(ShapeError);
    expect(() => maxPool1d(zeros([28]), 2)).toThrow('maxPool1d: expected input with 3 dims [N,C,L], got [28]');
    expect(() => maxPool2d(zeros([1, 1, 8, 8]), 3, { padding: 2 })).toThrow(
      'maxPool2d: padding should be at most half of the kernel size, got padding [2,2] for kernelSize [3,3]',
    );
    expect(() => avgPool1d(zeros([1, 1, 8]), 3, { padding: 2 })).toThrow('got padding 2 for kernelSize 3');
    expect(() => maxPool2d(zeros([1, 1, 2, 2]), 3)).toThrow(
      'maxPool2d: output size is too small: input [1,1,2,2] with kernelSize [3,3], stride [3,3], padding [0,0] and dilation [1,1] gives [0,0]',
    );
    expect(() => maxPool2d(zeros([1, 1, 4, 4]), 0)).toThrow('maxPool2d: kernelSize must be a positive integer or a pair of them, got 0');
    expect(() => avgPool2d(zeros([1, 1, 4, 4]), 2, { divisorOverride: 0 })).toThrow(ArgumentError);
    expect(() => adaptiveAvgPool2d(zeros([1, 1, 4, 4]), [0, 2])).toThrow('adaptiveAvgPool2d: outputSize must be a positive integer or a pair of them');
  });
});
