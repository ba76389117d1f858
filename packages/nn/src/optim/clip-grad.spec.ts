/** clipGradNorm / clipGradValue against PyTorch's clip_grad_norm_ / clip_grad_value_. */
import { ArgumentError, fromArray, memoryStats, ready, scope, tensor, zeros, type Tensor } from '@loom/tensor';
import { clipGradNorm, clipGradValue } from './clip-grad';
import { NonFiniteNormError } from './errors';
import { readJson } from './testing/goldens';

interface ClipCase {
  kind: 'norm' | 'value';
  maxNorm?: number;
  normType?: number | 'inf';
  clipValue?: number;
  totalNorm?: number;
  grads: number[][];
}
const golden = readJson<{ shapes: number[][]; grads: number[][]; cases: ClipCase[] }>('optim_clip.json');

/** float32 reductions of a few dozen values: PyTorch and tfjs sum in different orders. */
const TOLERANCE = 1e-6;

beforeAll(() => ready());

function paramsWithGrads(): Tensor[] {
  return golden.shapes.map((shape, i) => {
    const p = zeros(shape, { requiresGrad: true });
    p.grad = fromArray(Float32Array.from(golden.grads[i]!), shape).keep();
    return p;
  });
}

function expectGrads(params: Tensor[], expected: number[][]): void {
  params.forEach((p, i) => {
    const got = p.grad!.data();
    expected[i]!.forEach((v, j) => expect(Math.abs((got[j] as number) - v)).toBeLessThanOrEqual(TOLERANCE * Math.max(1, Math.abs(v))));
  });
}

test.each(golden.cases.map((c) => [c.kind === 'norm' ? `norm ${c.normType} max ${c.maxNorm}` : `value ${c.clipValue}`, c] as const))('%s as PyTorch', (_name, c) => {
  const params = paramsWithGrads();
  if (c.kind === 'norm') {
    const total = clipGradNorm(params, c.maxNorm!, c.normType === 'inf' ? Infinity : c.normType!);
    expect(total.shape).toEqual([]);
    expect(Math.abs(total.item() - c.totalNorm!)).toBeLessThanOrEqual(TOLERANCE * c.totalNorm!);
  } else {
    clipGradValue(params, c.clipValue!);
  }
  expectGrads(params, c.grads);
});

test('takes a single tensor, skips parameters without grad, and returns 0 without any', () => {
  const p = tensor([3, 4], { requiresGrad: true });
  const q = tensor([1], { requiresGrad: true });
  expect(clipGradNorm([q], 1).item()).toBe(0);
  p.grad = tensor([3, 4]).keep();
  expect(clipGradNorm([p, q], 1).item()).toBeCloseTo(5, 6);
  expect(clipGradNorm(p, 100).item()).toBeCloseTo(1, 5);
  clipGradValue(p, 0.1);
  expect(p.grad.toArray()).toEqual([expect.closeTo(0.1, 7), expect.closeTo(0.1, 7)]);
});

test('refuses a non-finite norm when asked, leaving the gradients', () => {
  const p = tensor([1], { requiresGrad: true });
  p.grad = tensor([Infinity]).keep();
  const clip = (): Tensor => clipGradNorm([p], 1, 2, { errorIfNonfinite: true });
  expect(clip).toThrow(NonFiniteNormError);
  expect(clip).toThrow('The total norm of order 2 for gradients from `parameters` is non-finite, so it cannot be clipped');
  expect(p.grad.toArray()).toEqual([Infinity]);
  expect(clipGradNorm([p], 1).item()).toBe(Infinity);
});

test('refuses bad arguments', () => {
  expect(() => clipGradNorm([], 1, 0)).toThrow(ArgumentError);
  expect(() => clipGradNorm([], 1, -1)).toThrow('normType must be a number > 0 or Infinity, got -1');
  expect(() => clipGradNorm(3 as unknown as Tensor[], 1)).toThrow('clipGradNorm: parameters must be a Tensor or an iterable of Tensors, got number');
  expect(() => clipGradValue([1 as unknown as Tensor], 1)).toThrow('clipGradValue: parameters[0] must be a Tensor, got number');
});

test('releases its temporaries', () => {
  const params = paramsWithGrads();
  scope(() => clipGradNorm(params, 1));
  const before = memoryStats().tfjsTensors;
  scope(() => {
    clipGradNorm(params, 1, 3);
    clipGradValue(params, 0.5);
  });
  expect(memoryStats().tfjsTensors).toBe(before);
});
