/**
 * Every layer against PyTorch 1.13 (tools/goldens/make_nn_goldens.py): the state dict
 * loads under PyTorch's keys, and forward, input/parameter gradients and updated
 * buffers match within 1e-5 relative.
 */
import { Tensor, manualSeed, ready } from '@loom/tensor';
import {
  AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Bilinear, Conv1d, Conv2d, Dropout, Embedding, Flatten, GELU,
  Identity, LayerNorm, LeakyReLU, Linear, LogSoftmax, MaxPool2d, Module, ReLU, Sequential, Sigmoid, Softmax, Tanh, Unflatten,
} from '../index';
import { decode, expectClose, readJson, type EncodedTensor } from '../testing/goldens';

interface LayerCase {
  train: boolean;
  dropoutSeed: number;
  state: Record<string, EncodedTensor>;
  steps: EncodedTensor[][];
  output: EncodedTensor;
  gradOutput: EncodedTensor;
  inputGrads: (EncodedTensor | null)[];
  paramGrads: Record<string, EncodedTensor>;
  stateAfter: Record<string, EncodedTensor>;
}

/** The Loom construction of each case of make_nn_goldens.py's layer_cases(). */
const LAYERS: Record<string, () => Module> = {
  linear: () => new Linear(5, 3),
  linear_nobias_3d: () => new Linear(5, 3, { bias: false }),
  bilinear: () => new Bilinear(3, 4, 2),
  conv1d: () => new Conv1d(4, 6, 3, { stride: 2, padding: 1, groups: 2 }),
  conv1d_same: () => new Conv1d(3, 2, 4, { padding: 'same', dilation: 2, bias: false }),
  conv2d: () => new Conv2d(3, 4, 3),
  conv2d_full: () => new Conv2d(4, 6, [3, 2], { stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 2 }),
  conv2d_same: () => new Conv2d(2, 3, 4, { padding: 'same' }),
  conv2d_unbatched: () => new Conv2d(3, 2, 3, { padding: 1 }),
  maxpool2d: () => new MaxPool2d(2),
  maxpool2d_full: () => new MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }),
  maxpool2d_dilation: () => new MaxPool2d(2, { stride: 1, dilation: 2 }),
  avgpool2d: () => new AvgPool2d(2),
  avgpool2d_full: () => new AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
  avgpool2d_divisor: () => new AvgPool2d(2, { divisorOverride: 3 }),
  adaptive_avgpool2d: () => new AdaptiveAvgPool2d([2, 3]),
  adaptive_avgpool2d_global: () => new AdaptiveAvgPool2d(1),
  batchnorm1d_train: () => new BatchNorm1d(4),
  batchnorm1d_3d_train: () => new BatchNorm1d(3),
  batchnorm1d_eval: () => new BatchNorm1d(4),
  batchnorm1d_cumulative: () => new BatchNorm1d(3, { momentum: null }),
  batchnorm1d_no_affine: () => new BatchNorm1d(3, { affine: false, momentum: 0.3, eps: 1e-3 }),
  batchnorm1d_untracked_eval: () => new BatchNorm1d(3, { trackRunningStats: false }),
  batchnorm2d_train: () => new BatchNorm2d(3),
  batchnorm2d_eval: () => new BatchNorm2d(3),
  layernorm: () => new LayerNorm(5),
  layernorm_2d_no_affine: () => new LayerNorm([4, 5], { elementwiseAffine: false, eps: 1e-3 }),
  embedding: () => new Embedding(10, 4),
  embedding_padding: () => new Embedding(6, 3, { paddingIdx: 1 }),
  flatten: () => new Flatten(),
  unflatten: () => new Unflatten(1, [2, 3]),
  identity: () => new Identity(),
  relu: () => new ReLU(),
  leaky_relu: () => new LeakyReLU(0.2),
  gelu: () => new GELU(),
  gelu_tanh: () => new GELU({ approximate: 'tanh' }),
  sigmoid: () => new Sigmoid(),
  tanh: () => new Tanh(),
  softmax: () => new Softmax(1),
  softmax_implicit_3d: () => new Softmax(),
  log_softmax: () => new LogSoftmax(-1),
  dropout: () => new Dropout(0.3),
  dropout_eval: () => new Dropout(0.3),
  sequential: () => new Sequential(new Linear(6, 5), new Tanh(), new Linear(5, 2)),
  conv_net: () =>
    new Sequential(
      new Conv2d(1, 4, 3), new ReLU(), new MaxPool2d(2), new Conv2d(4, 6, 3), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(24, 10),
    ),
};

const CASES = readJson<Record<string, LayerCase>>('nn_layers.json');

beforeAll(() => ready());

test('every golden case has a Loom construction and vice versa', () => {
  expect(Object.keys(LAYERS).sort()).toEqual(Object.keys(CASES).sort());
});

describe.each(Object.entries(CASES))('%s', (name, c) => {
  test('forward, backward and buffers match PyTorch', () => {
    const layer = (LAYERS[name] as () => Module)();
    layer.train(c.train);
    layer.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, decode(v)])));
    manualSeed(c.dropoutSeed);
    let inputs: Tensor[] = [];
    let out: Tensor | null = null;
    for (const step of c.steps) {
      inputs = step.map((x) => decode(x, { requiresGrad: x.dtype === 'float32' }));
      out = layer(...inputs) as Tensor;
    }
    (out as Tensor).backward(decode(c.gradOutput));
    expectClose(out as Tensor, c.output, `${name} output`);
    c.inputGrads.forEach((g, i) => {
      if (g !== null) expectClose((inputs[i] as Tensor).grad as Tensor, g, `${name} input ${i} grad`);
    });
    const params = new Map(layer.namedParameters());
    expect([...params.keys()].filter((k) => params.get(k)?.grad !== null).sort()).toEqual(Object.keys(c.paramGrads).sort());
    for (const [key, g] of Object.entries(c.paramGrads)) expectClose(params.get(key)?.grad as Tensor, g, `${name} ${key} grad`);
    const after = layer.stateDict();
    expect(Object.keys(after)).toEqual(Object.keys(c.stateAfter));
    for (const [key, v] of Object.entries(c.stateAfter)) expectClose(after[key] as Tensor, v, `${name} ${key} after forward`);
  });
});
