/**
 * The host max pooling against PyTorch 1.13's values for the cases the golden fixtures
 * do not draw (NaN and infinities, whose windows leave the 2x2 fast path), on wasm
 * and cpu; the goldens in ops/pool.spec.ts cover the geometry.
 */
import { maxPool2d, setBackend, tensor } from '../index';
import { hasMaxPoolWithIndices } from './max-pool';

const NAN = Number.NaN;

describe.each(['wasm', 'cpu'] as const)('host max pooling on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  test('runs on the host kernel', () => {
    expect(hasMaxPoolWithIndices()).toBe(true);
  });

  test('a NaN wins its window and takes the gradient, the last NaN when there are several (2x2 tiles)', () => {
    const x = tensor([[[[1, NAN, NAN, NAN], [3, 4, 0, NAN], [5, 6, 7, 8], [1, 2, 3, 4]]]], { requiresGrad: true });
    const y = maxPool2d(x, 2);
    expect(y.toArray()).toEqual([[[[NAN, NAN], [6, 8]]]]);
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([[[[0, 1, 0, 0], [0, 0, 0, 1], [0, 1, 0, 1], [0, 0, 0, 0]]]]);
  });

  test('NaNs on the overlapping path (PyTorch: every window to the last NaN)', () => {
    const x = tensor([[[[NAN, NAN, 1], [0, NAN, 2], [3, 4, 5]]]], { requiresGrad: true });
    const y = maxPool2d(x, 3, { stride: 1, padding: 1 });
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([[[[0, 0, 0], [0, 9, 0], [0, 0, 0]]]]);
  });

  test('infinities: +inf wins, an all -inf window sends its gradient to its first tap', () => {
    const x = tensor([[[[Infinity, -Infinity, -Infinity, -Infinity], [0, 1, -Infinity, -Infinity]]]], { requiresGrad: true });
    const y = maxPool2d(x, 2);
    expect(y.toArray()).toEqual([[[[Infinity, -Infinity]]]]);
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([[[[1, 0, 1, 0], [0, 0, 0, 0]]]]);
  });

  test('keeps the sign of a zero maximum and the first of tied zeros', () => {
    const x = tensor([[[[-0, 0], [0, -0]]]], { requiresGrad: true });
    const y = maxPool2d(x, 2);
    expect(Object.is(y.data()[0], -0)).toBe(true);
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([[[[1, 0], [0, 0]]]]);
  });
});
