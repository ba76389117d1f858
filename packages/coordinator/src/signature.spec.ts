import { modelSignature } from './signature';

describe('modelSignature', () => {
  const params = [
    { name: 'linear_relu_stack.0.weight', shape: [512, 784] },
    { name: 'linear_relu_stack.0.bias', shape: [512] },
  ];

  test('is a sha256 digest, stable for the same job and parameters', () => {
    expect(modelSignature('quickstart', params)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(modelSignature('quickstart', params)).toBe(modelSignature('quickstart', params.map((p) => ({ ...p }))));
  });

  test('changes with the job name, a shape, an order or a dtype', () => {
    const base = modelSignature('quickstart', params);
    expect(modelSignature('other', params)).not.toBe(base);
    expect(modelSignature('quickstart', [{ ...params[0]!, shape: [512, 785] }, params[1]!])).not.toBe(base);
    expect(modelSignature('quickstart', [...params].reverse())).not.toBe(base);
    expect(modelSignature('quickstart', [params[0]!, { ...params[1]!, dtype: 'float64' }])).not.toBe(base);
  });
});
