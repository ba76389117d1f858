/** print(module) character for character (nn_repr.json), and Python's number formatting. */
import { ones, ready } from '@loom/tensor';
import {
  AdaptiveAvgPool2d, AvgPool2d, BCEWithLogitsLoss, BatchNorm1d, BatchNorm2d, Bilinear, Conv1d, Conv2d, CrossEntropyLoss, Dropout,
  Embedding, GELU, Identity, LayerNorm, LeakyReLU, Linear, LogSoftmax, MaxPool2d, Module, ModuleDict, ModuleList, ReLU, Sequential,
  Sigmoid, Softmax, Tanh, Unflatten,
} from '../index';
import { NeuralNetwork } from '../testing/seed-model';
import { readJson } from '../testing/goldens';
import { pyFloat, pyTuple } from './repr';

const REPRS = readJson<Record<string, string>>('nn_repr.json');

/** make_nn_goldens.py's repr_goldens(), in Loom. */
const MODULES: Record<string, () => Module> = {
  seed_model: () => new NeuralNetwork(),
  linear_nobias: () => new Linear(3, 2, { bias: false }),
  bilinear: () => new Bilinear(2, 3, 4),
  conv1d: () => new Conv1d(2, 4, 3, { padding: 1, groups: 2, bias: false }),
  conv2d: () => new Conv2d(1, 32, 3),
  conv2d_full: () => new Conv2d(4, 6, [3, 2], { stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 2 }),
  conv2d_same: () => new Conv2d(2, 4, 3, { padding: 'same', dilation: 2 }),
  maxpool2d: () => new MaxPool2d(2),
  maxpool2d_full: () => new MaxPool2d([3, 2], { stride: 2, padding: 1, dilation: 1, ceilMode: true }),
  avgpool2d: () => new AvgPool2d(3, { stride: 2, padding: 1 }),
  adaptive: () => new AdaptiveAvgPool2d([1, 1]),
  adaptive_none: () => new AdaptiveAvgPool2d([null, 7]),
  adaptive_int: () => new AdaptiveAvgPool2d(5),
  batchnorm1d: () => new BatchNorm1d(3, { momentum: null }),
  batchnorm2d: () => new BatchNorm2d(64, { eps: 1e-3, momentum: 0.01, affine: false, trackRunningStats: false }),
  layernorm: () => new LayerNorm([4, 5], { eps: 1e-6 }),
  dropout: () => new Dropout(0.2),
  embedding: () => new Embedding(10, 3, { paddingIdx: -1 }),
  unflatten: () => new Unflatten(1, [2, 5]),
  gelu: () => new GELU({ approximate: 'tanh' }),
  leaky_relu: () => new LeakyReLU(0.2),
  softmax: () => new Softmax(),
  log_softmax: () => new LogSoftmax(1),
  identity: () => new Identity(),
  module_list: () => new ModuleList([new Linear(2, 2), new Sequential(new ReLU(), new Tanh())]),
  module_dict: () => new ModuleDict({ act: new Sigmoid(), head: new Linear(4, 1) }),
  empty_sequential: () => new Sequential(),
  named_sequential: () => new Sequential(new Map<string, Module>([['conv', new Conv2d(1, 2, 3)], ['act', new ReLU()]])),
  cross_entropy: () => new CrossEntropyLoss({ labelSmoothing: 0.1 }),
  bce_with_logits: () => new BCEWithLogitsLoss({ posWeight: ones([3]) }),
};

beforeAll(() => ready());

test('every golden repr has a Loom construction', () => {
  expect(Object.keys(MODULES).sort()).toEqual(Object.keys(REPRS).sort());
});

test.each(Object.entries(REPRS))('%s prints as in PyTorch', (name, expected) => {
  expect(String((MODULES[name] as () => Module)())).toBe(expected);
});

test('floats print as Python repr does', () => {
  expect([1e-5, 0.1, 1, 0.0001, 1e16, 1e15, 1.5e-7, -2.5, 0, NaN, Infinity].map(pyFloat)).toEqual([
    '1e-05', '0.1', '1.0', '0.0001', '1e+16', '1000000000000000.0', '1.5e-07', '-2.5', '0.0', 'nan', 'inf',
  ]);
  expect(pyTuple([3])).toBe('(3,)');
  expect(pyTuple([3, 3])).toBe('(3, 3)');
});
