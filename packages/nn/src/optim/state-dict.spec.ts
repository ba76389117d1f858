/**
 * Optimizer state dicts: PyTorch's structure, round trips (save mid-run, load into a
 * fresh optimizer, continue = uninterrupted), PyTorch's own state dicts loaded and
 * continued (tools/goldens/make_optim_goldens.py), and the checks on load.
 */
import { fromArray, ready, steps, tensor, zeros, type Tensor } from '@loom/tensor';
import { Adam, OptimizerStateError, SGD, type Optimizer, type OptimizerStateDict } from './index';
import { decodeFixture, goldenValue, makeOptimizer, makeParams, mlpBatch, mlpLoss, mlpShapes, readFloat32, readJson } from './testing/goldens';

beforeAll(() => ready());

/** PyTorch 1.13 group keys with no Loom counterpart (implementation switches). */
const PYTORCH_ONLY_GROUP_KEYS = ['foreach', 'differentiable', 'capturable', 'fused'];

describe('round trip through stateDict', () => {
  const layers = [784, 64, 64, 10];
  const init = readFloat32('optim_mlp_init.bin');
  const configs: [string, Record<string, unknown>][] = [
    ['SGD', { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 }],
    ['Adam', { lr: 1e-3, amsgrad: true }],
    ['AdamW', { lr: 1e-3 }],
    ['RMSprop', { lr: 1e-3, centered: true, momentum: 0.5 }],
    ['Adagrad', { lr: 0.05, lrDecay: 0.01 }],
  ];

  function run(params: Tensor[], opt: Optimizer, from: number, to: number): void {
    for (const step of steps(Array.from({ length: to - from }, (_, i) => from + i))) {
      const [x, y] = mlpBatch(step, 8, 784);
      opt.zeroGrad();
      mlpLoss(params, x, y).backward();
      opt.step();
    }
  }

  test.each(configs)('%s: save after 10 steps, load into a fresh optimizer, 10 more = 20 uninterrupted', (name, options) => {
    const params = makeParams(init, mlpShapes(layers));
    const opt = makeOptimizer(name, params, options);
    run(params, opt, 0, 10);
    const saved = opt.stateDict();

    const resumedParams = params.map((p) => fromArray(p.data(), p.shape, { requiresGrad: true }).keep());
    const resumed = makeOptimizer(name, resumedParams, { lr: 123 }); // hyperparameters come from the state dict
    resumed.loadStateDict(saved);
    expect(resumed.paramGroups[0]!.lr).toBe(options['lr']);

    run(params, opt, 10, 20);
    run(resumedParams, resumed, 10, 20);
    params.forEach((p, i) => expect(resumedParams[i]!.data()).toEqual(p.data()));
    for (const o of [opt, resumed]) {
      o.zeroGrad();
      o.dispose();
    }
  });

  test('has PyTorch\'s structure and snake_case keys', () => {
    const [a, b] = [tensor([1, 2], { requiresGrad: true }), tensor([3], { requiresGrad: true })];
    const opt = new Adam([{ params: [a] }, { params: [b], lr: 0.1 }], { weightDecay: 0.5, amsgrad: true });
    a.mul(b).sum().backward();
    opt.step();
    const sd = opt.stateDict();
    expect(sd.paramGroups).toEqual([
      { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.5, amsgrad: true, maximize: false, params: [0] },
      { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.5, amsgrad: true, maximize: false, params: [1] },
    ]);
    expect(Object.keys(sd.state)).toEqual(['0', '1']);
    expect(Object.keys(sd.state[1]!)).toEqual(['step', 'exp_avg', 'exp_avg_sq', 'max_exp_avg_sq']);
    expect(sd.state[1]!['step']).toBe(1);
  });

  test('is a snapshot: later steps do not change it', () => {
    const p = tensor([1, 2], { requiresGrad: true });
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    p.mul(p).sum().backward();
    opt.step();
    const sd = opt.stateDict();
    const before = (sd.state[0]!['momentum_buffer'] as Tensor).toArray();
    opt.step();
    expect((sd.state[0]!['momentum_buffer'] as Tensor).toArray()).toEqual(before);
    expect((opt.state.get(p)!['momentum_buffer'] as Tensor).toArray()).not.toEqual(before);
  });
});

interface StateDictCase {
  optimizer: string;
  options: Record<string, unknown>;
  midParams: unknown[];
  stateDict: Record<string, unknown>;
  finalParams: { shape: number[]; data: number[] }[];
}
interface StateDictGoldens {
  layers: number[];
  stepsBefore: number;
  stepsAfter: number;
  cases: Record<string, StateDictCase>;
}

describe('PyTorch state dicts', () => {
  const golden = readJson<StateDictGoldens>('optim_state_dicts.json');
  const [inputs, , classes] = golden.layers as [number, number, number];

  /** make_optim_goldens.py's tiny_batch. */
  function tinyBatch(step: number): [Tensor, Tensor] {
    const rows = 4;
    const x = new Float32Array(rows * inputs);
    for (let k = 0; k < x.length; k++) x[k] = goldenValue(k + step * x.length);
    return [fromArray(x, [rows, inputs]), fromArray(Int32Array.from({ length: rows }, (_, i) => (i + step) % classes), [rows])];
  }

  test.each(Object.entries(golden.cases))('%s: loads PyTorch\'s state mid-run and continues as PyTorch', (_name, c) => {
    const params = (decodeFixture(c.midParams) as Tensor[]).map((t) => t.requiresGrad_(true).keep());
    const opt = makeOptimizer(c.optimizer, params, c.options);
    opt.loadStateDict(decodeFixture(c.stateDict) as OptimizerStateDict);
    for (const step of steps(Array.from({ length: golden.stepsAfter }, (_, i) => golden.stepsBefore + i))) {
      const [x, y] = tinyBatch(step);
      opt.zeroGrad();
      mlpLoss(params, x, y, (t) => t.tanh()).backward();
      opt.step();
    }
    params.forEach((p, i) => {
      const expected = c.finalParams[i]!;
      expect(p.shape).toEqual(expected.shape);
      const got = p.data();
      expected.data.forEach((v, j) => expect(Math.abs((got[j] as number) - v)).toBeLessThan(1e-6));
    });

    // Loom's own state dict has PyTorch's keys.
    const sd = opt.stateDict();
    const theirs = c.stateDict as { state: Record<string, Record<string, unknown>>; param_groups: Record<string, unknown>[] };
    expect(Object.keys(sd.state)).toEqual(Object.keys(theirs.state));
    for (const [i, s] of Object.entries(theirs.state)) expect(Object.keys(sd.state[Number(i)]!).sort()).toEqual(Object.keys(s).sort());
    const fresh = makeOptimizer(c.optimizer, params, c.options).stateDict().paramGroups[0]!;
    const pytorchKeys = Object.keys(theirs.param_groups[0]!).filter((k) => !PYTORCH_ONLY_GROUP_KEYS.includes(k));
    expect(Object.keys(fresh).sort()).toEqual(pytorchKeys.sort());
  });
});

describe('loadStateDict checks', () => {
  function stepped(): { opt: SGD; p: Tensor; q: Tensor } {
    const p = tensor([1, 2], { requiresGrad: true });
    const q = tensor([[3]], { requiresGrad: true });
    const opt = new SGD([p, q], { lr: 0.1, momentum: 0.9 });
    p.sum().backward();
    q.sum().backward();
    opt.step();
    return { opt, p, q };
  }

  test('refuses a different number of parameter groups', () => {
    const { opt } = stepped();
    const other = new SGD([{ params: [zeros([2], { requiresGrad: true })] }, { params: [zeros([1, 1], { requiresGrad: true })] }], { lr: 0.1 });
    expect(() => other.loadStateDict(opt.stateDict())).toThrow(OptimizerStateError);
    expect(() => other.loadStateDict(opt.stateDict())).toThrow('different number of parameter groups: 1 in the state dict, 2 in the optimizer');
  });

  test('refuses a group with a different parameter count', () => {
    const { opt } = stepped();
    const other = new SGD([zeros([2], { requiresGrad: true })], { lr: 0.1 });
    expect(() => other.loadStateDict(opt.stateDict())).toThrow("doesn't match the size of optimizer's group: group 0 has 2 parameters in the state dict, 1 in the optimizer");
  });

  test('refuses a state tensor whose shape differs from its parameter, and changes nothing', () => {
    const { opt } = stepped();
    const other = new SGD([zeros([2], { requiresGrad: true }), zeros([1], { requiresGrad: true })], { lr: 0.5 });
    expect(() => other.loadStateDict(opt.stateDict())).toThrow("state 'momentum_buffer' of parameter 1 has shape [1,1], but the parameter has shape [1]");
    expect(other.paramGroups[0]!.lr).toBe(0.5);
    expect(other.state.size).toBe(0);
  });

  test('refuses state for a parameter no group lists, malformed dicts and bad hyperparameters', () => {
    const { opt } = stepped();
    const sd = opt.stateDict();
    expect(() => opt.loadStateDict({ ...sd, state: { ...sd.state, 7: {} } })).toThrow('state has an entry for parameter 7');
    expect(() => opt.loadStateDict({} as OptimizerStateDict)).toThrow("expected an object with 'state' and 'paramGroups'");
    expect(() => opt.loadStateDict(null as unknown as OptimizerStateDict)).toThrow(OptimizerStateError);
    expect(() => opt.loadStateDict({ ...sd, state: { 0: { momentum_buffer: 'x' } } } as unknown as OptimizerStateDict)).toThrow("state 'momentum_buffer' of parameter 0 must be a Tensor, a number or null, got string");
    expect(() => opt.loadStateDict({ ...sd, paramGroups: [{ ...sd.paramGroups[0]!, lr: -1 }] })).toThrow('Invalid learning rate: -1');
  });

  test('accepts PyTorch\'s param_groups key and a tensor step', () => {
    const p = tensor([1, 2], { requiresGrad: true });
    const opt = new Adam([p]);
    opt.loadStateDict({
      state: { 0: { step: tensor(3), exp_avg: tensor([0.1, 0.2]), exp_avg_sq: tensor([0.01, 0.04]) } },
      param_groups: [{ lr: 0.01, betas: [0.8, 0.9], eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false, foreach: null, params: [0] }],
    } as unknown as OptimizerStateDict);
    expect(opt.state.get(p)!['step']).toBe(3);
    expect(opt.paramGroups[0]).toMatchObject({ lr: 0.01, betas: [0.8, 0.9] });
  });
});
