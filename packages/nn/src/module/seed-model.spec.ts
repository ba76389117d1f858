/**
 * The seed's model end to end against PyTorch: from the initial weights of
 * manualSeed(0), one batch's CrossEntropyLoss and every parameter's gradient match
 * within 1e-5 (tools/goldens/make_nn_goldens.py, `seedMlpStep`).
 */
import { Tensor, manualSeed, ready } from '@loom/tensor';
import { CrossEntropyLoss } from '../index';
import { NeuralNetwork } from '../testing/seed-model';
import { decode, decodeValues, expectClose, readJson, type EncodedTensor } from '../testing/goldens';

interface StepFixture {
  seedMlpStep: {
    input: EncodedTensor;
    labels: EncodedTensor;
    loss: number;
    grads: Record<string, { sum: number; sumOfSquares: number; strided: EncodedTensor; full: EncodedTensor | null }>;
  };
}

/** make_nn_goldens.py's stride through the large gradients. */
const STRIDE_GRAD = 97;
const STEP = readJson<StepFixture>('nn_init.json').seedMlpStep;

beforeAll(() => ready());

test('one step of the seed loop: loss and every gradient match PyTorch', () => {
  manualSeed(0);
  const model = new NeuralNetwork();
  const lossFn = new CrossEntropyLoss();
  const loss = lossFn(model(decode(STEP.input)), decode(STEP.labels));
  expect(Math.abs(loss.item() - STEP.loss)).toBeLessThanOrEqual(1e-5 * Math.abs(STEP.loss));
  model.zeroGrad();
  loss.backward();
  const params = new Map(model.namedParameters());
  expect([...params.keys()]).toEqual(Object.keys(STEP.grads));
  for (const [key, golden] of Object.entries(STEP.grads)) {
    const grad = params.get(key)?.grad as Tensor;
    const flat = grad.reshape([-1]);
    if (golden.full !== null) expectClose(grad, golden.full, `${key} grad`);
    const values = flat.data() as Float32Array;
    const strided = decodeValues(golden.strided);
    strided.forEach((v, i) => {
      const got = values[i * STRIDE_GRAD] as number;
      if (Math.abs(got - v) > 1e-6 + 1e-5 * Math.abs(v)) throw new Error(`${key} grad[${i * STRIDE_GRAD}] is ${got}, expected ${v}`);
    });
    // Sums over 400k values: the long-reduction tolerance.
    const sum = values.reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - golden.sum)).toBeLessThanOrEqual(1e-4 * Math.sqrt(golden.sumOfSquares) + 1e-7);
  }
});
