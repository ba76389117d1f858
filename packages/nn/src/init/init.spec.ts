/**
 * Initialisation against PyTorch 1.13 (nn_init.json): after the same manualSeed, the
 * seed MLP, each layer's default init and every nn.init function give PyTorch's
 * values bit for bit.
 */
import { createHash } from 'node:crypto';
import { ArgumentError, ShapeError, Tensor, manualSeed, ready, zeros } from '@loom/tensor';
import { BatchNorm1d, Bilinear, Conv1d, Conv2d, Embedding, LayerNorm, Linear, Module, init } from '../index';
import { NeuralNetwork } from '../testing/seed-model';
import { expectExact, readJson, type EncodedTensor } from '../testing/goldens';

interface InitFixture {
  cpuCapability: string;
  seedMlp: Record<string, { shape: number[]; sha256: string; sum: number; head: number[]; tail: number[]; strided: number[] }>;
  layers: Record<string, Record<string, EncodedTensor>>;
  ops: { op: string; shape: number[]; args: Record<string, number | string>; result: EncodedTensor }[];
  gains: Record<string, number>;
}

const FIXTURE = readJson<InitFixture>('nn_init.json');
/** make_nn_goldens.py's stride through the seed MLP's parameters. */
const STRIDE = 9973;

beforeAll(() => ready());

test('the fixture was made with the AVX2 kernels that Loom reproduces', () => {
  expect(FIXTURE.cpuCapability).toBe('AVX2');
});

test('manualSeed(0); new NeuralNetwork() has exactly the weights of torch.manual_seed(0); NeuralNetwork()', () => {
  manualSeed(0);
  const model = new NeuralNetwork();
  const sd = model.stateDict();
  expect(Object.keys(sd)).toEqual(Object.keys(FIXTURE.seedMlp));
  for (const [key, golden] of Object.entries(FIXTURE.seedMlp)) {
    const t = sd[key] as Tensor;
    expect(t.shape).toEqual(golden.shape);
    const values = t.data() as Float32Array;
    expect(createHash('sha256').update(Buffer.from(values.buffer, values.byteOffset, values.byteLength)).digest('hex')).toBe(golden.sha256);
    expect(Array.from(values.slice(0, golden.head.length))).toEqual(golden.head);
    expect(Array.from(values.slice(values.length - golden.tail.length))).toEqual(golden.tail);
    expect(Array.from(values.filter((_, i) => i % STRIDE === 0))).toEqual(golden.strided);
  }
});

const LAYERS: [string, () => Module][] = [
  ['linear', () => new Linear(5, 3)],
  ['linear_nobias', () => new Linear(7, 4, { bias: false })],
  ['conv2d', () => new Conv2d(3, 4, 3)],
  ['conv2d_groups', () => new Conv2d(4, 6, [3, 2], { groups: 2 })],
  ['conv1d', () => new Conv1d(2, 4, 3)],
  ['bilinear', () => new Bilinear(3, 4, 2)],
  ['embedding', () => new Embedding(10, 4, { paddingIdx: 1 })],
  ['embedding_small', () => new Embedding(5, 3)],
  ['batchnorm1d', () => new BatchNorm1d(3)],
  ['layernorm', () => new LayerNorm(4)],
  ['linear_after', () => new Linear(3, 2)],
];

test('each layer draws its default initialisation as PyTorch does, in the same order', () => {
  manualSeed(1);
  expect(LAYERS.map(([name]) => name)).toEqual(Object.keys(FIXTURE.layers));
  for (const [name, make] of LAYERS) {
    const sd = make().stateDict();
    const golden = FIXTURE.layers[name] as Record<string, EncodedTensor>;
    expect(Object.keys(sd)).toEqual(Object.keys(golden));
    for (const [key, value] of Object.entries(golden)) expectExact(sd[key] as Tensor, value, `${name}.${key}`);
  }
});

test('the nn.init functions give PyTorch values, drawing in the same order', () => {
  manualSeed(2);
  for (const { op, shape, args, result } of FIXTURE.ops) {
    const t = zeros(shape);
    const a = args as Record<string, never>;
    switch (op) {
      case 'uniform_': init.uniform_(t, a.a, a.b); break;
      case 'normal_': init.normal_(t, a.mean, a.std); break;
      case 'xavierUniform_': init.xavierUniform_(t, { gain: a.gain }); break;
      case 'xavierNormal_': init.xavierNormal_(t, { gain: a.gain }); break;
      case 'kaimingUniform_': init.kaimingUniform_(t, args); break;
      case 'kaimingNormal_': init.kaimingNormal_(t, args); break;
      case 'constant_': init.constant_(t, a.value); break;
      case 'ones_': init.ones_(t); break;
      case 'zeros_': init.zeros_(t); break;
      default: throw new Error(`unknown op ${op}`);
    }
    expectExact(t, result, `${op} ${JSON.stringify(args)}`);
  }
});

test('calculateGain is PyTorch calculate_gain', () => {
  for (const [key, gain] of Object.entries(FIXTURE.gains)) {
    const [nonlinearity, param] = key.split('/') as [init.Nonlinearity, string];
    expect(init.calculateGain(nonlinearity, param === 'None' ? undefined : Number(param))).toBe(gain);
  }
  expect(() => init.calculateGain('softplus' as init.Nonlinearity)).toThrow(ArgumentError);
});

test('init works on parameters (under noGrad) and refuses tensors without fans', () => {
  const fc = new Linear(3, 2);
  init.zeros_(fc.weight);
  expect(fc.weight.toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
  expect(fc.weight.requiresGrad).toBe(true);
  expect(() => init.xavierUniform_(zeros([5]))).toThrow(ShapeError);
  expect(() => init.kaimingUniform_(zeros([2, 2]), { mode: 'fan_avg' as init.FanMode })).toThrow(/fan_in, fan_out/);
  // A zero-element tensor is left alone, as PyTorch (which warns).
  expect(init.kaimingUniform_(zeros([0, 3])).shape).toEqual([0, 3]);
});
