import { ready, tensor, type Tensor } from '@loom/tensor';
import { gradientsFinite, nonFiniteGradients } from './finite-check';

beforeAll(() => ready());

function withGrad(values: number[]): Tensor {
  const p = tensor([0, 0, 0]).requiresGrad_();
  p.grad = tensor(values).keep();
  return p;
}

test.each([
  ['NaN', [1, NaN, 3]],
  ['+Inf', [Infinity, 2, 3]],
  ['-Inf', [1, 2, -Infinity]],
])('a gradient holding %s is not finite', (_, values) => {
  expect(gradientsFinite([withGrad([1, 2, 3]), withGrad(values)])).toBe(false);
});

test('huge but finite gradients are finite (the check cannot overflow as a plain sum would)', () => {
  expect(gradientsFinite([withGrad([3e38, 3e38, 3e38]), withGrad([-3e38, 1, 2])])).toBe(true);
});

test('parameters without a gradient count as finite', () => {
  expect(gradientsFinite([tensor([1]).requiresGrad_()])).toBe(true);
  expect(gradientsFinite([])).toBe(true);
});

test('nonFiniteGradients names the bad parameters in order', () => {
  const named: [string, Tensor][] = [
    ['a.weight', withGrad([1, NaN, 0])],
    ['a.bias', withGrad([1, 2, 3])],
    ['b.weight', withGrad([Infinity, 0, 0])],
  ];
  expect(nonFiniteGradients(named)).toEqual(['a.weight', 'b.weight']);
});
