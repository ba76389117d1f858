/** stateDict / loadStateDict: PyTorch's keys and order, snapshots, strict checks in one error. */
import { Tensor, noGrad, ones, randn, ready, tensor, zeros } from '@loom/tensor';
import { BCEWithLogitsLoss, BatchNorm1d, CrossEntropyLoss, Linear, Module, Parameter, ReLU, Sequential, StateDictError } from '../index';
import { NeuralNetwork } from '../testing/seed-model';

beforeAll(() => ready());

function clone(sd: Record<string, Tensor>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, v.clone()]));
}

test('own parameters, then buffers, then children, as PyTorch orders them', () => {
  const model = new Sequential(new Linear(3, 4), new BatchNorm1d(4), new ReLU());
  expect(Object.keys(model.stateDict())).toEqual([
    '0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked',
  ]);
  expect(model.stateDict()['1.num_batches_tracked']?.dtype).toBe('int32');
  expect(Object.keys(new CrossEntropyLoss({ weight: ones([3]) }).stateDict())).toEqual(['weight']);
  expect(Object.keys(new BCEWithLogitsLoss({ posWeight: ones([3]) }).stateDict())).toEqual(['pos_weight']);
  expect(Object.keys(new CrossEntropyLoss().stateDict())).toEqual([]);
});

test('values are detached snapshots; keepVars gives the parameters themselves', () => {
  const fc = new Linear(2, 2);
  const sd = fc.stateDict();
  const before = sd['weight']?.toArray();
  expect(sd['weight']?.requiresGrad).toBe(false);
  noGrad(() => fc.weight.add_(1));
  expect(sd['weight']?.toArray()).toEqual(before);
  expect(fc.stateDict({ keepVars: true })['weight']).toBe(fc.weight);
  expect(Object.keys(fc.stateDict({ prefix: 'head.' }))).toEqual(['head.weight', 'head.bias']);
});

test('loading copies values in place: outputs match, parameter objects stay the same', () => {
  const source = new NeuralNetwork();
  const target = new NeuralNetwork();
  const weight = (target.linear_relu_stack.at(0) as Linear).weight;
  const result = target.loadStateDict(source.stateDict());
  expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
  expect((target.linear_relu_stack.at(0) as Linear).weight).toBe(weight);
  expect(weight.requiresGrad).toBe(true);
  const x = randn([2, 1, 28, 28]);
  expect(target(x).toArray()).toEqual(source(x).toArray());
  const asMap = new Map(Object.entries(source.stateDict()));
  expect(new NeuralNetwork().loadStateDict(asMap).missingKeys).toEqual([]);
});

test('strict loading lists missing keys, unexpected keys and shape mismatches in one error, copying nothing', () => {
  const model = new Sequential(new Linear(3, 2), new Linear(2, 1));
  const before = model.stateDict();
  const sd = clone(before);
  delete sd['1.bias'];
  sd['0.weight'] = zeros([2, 4]);
  sd['extra.weight'] = zeros([1]);
  sd['0.bias'] = ones([2]);
  let error: StateDictError | null = null;
  try {
    model.loadStateDict(sd);
  } catch (err) {
    error = err as StateDictError;
  }
  expect(error).toBeInstanceOf(StateDictError);
  expect(error?.code).toBe('LOOM_NN_STATE_DICT');
  expect(error?.message).toBe(
    'Error(s) in loading state_dict for Sequential:\n' +
      '\tMissing key(s) in state_dict: "1.bias". \n' +
      '\tUnexpected key(s) in state_dict: "extra.weight". \n' +
      '\tsize mismatch for 0.weight: copying a param with shape [2, 4] from checkpoint, the shape in current model is [2, 3].\n' +
      'help: the checkpoint was saved from a model of another shape',
  );
  expect(error?.missingKeys).toEqual(['1.bias']);
  expect(error?.unexpectedKeys).toEqual(['extra.weight']);
  // Nothing was copied, not even the fitting 0.bias.
  expect(model.stateDict()['0.bias']?.toArray()).toEqual(before['0.bias']?.toArray());
});

test('non-strict loading loads what fits and reports the rest; shape mismatches still throw', () => {
  const model = new Sequential(new Linear(3, 2), new Linear(2, 1));
  const sd = clone(model.stateDict());
  delete sd['1.bias'];
  sd['extra'] = zeros([1]);
  sd['0.bias'] = tensor([5, 6]);
  expect(model.loadStateDict(sd, { strict: false })).toEqual({ missingKeys: ['1.bias'], unexpectedKeys: ['extra'] });
  expect((model.at(0) as Linear).bias?.toArray()).toEqual([5, 6]);
  sd['0.weight'] = zeros([1, 1]);
  expect(() => model.loadStateDict(sd, { strict: false })).toThrow(/size mismatch for 0.weight/);
});

test('values must be tensors', () => {
  expect(() => new Linear(1, 1).loadStateDict({ weight: 3 } as never)).toThrow(/the value of 'weight' is number 3, expected a Tensor/);
  expect(() => new Linear(1, 1).loadStateDict(null as never)).toThrow(/expected a state dict/);
});

test('BatchNorm loads state dicts without num_batches_tracked (older PyTorch) with 0', () => {
  const bn = new BatchNorm1d(2);
  noGrad(() => bn.numBatchesTracked?.fill_(7));
  const sd = clone(bn.stateDict());
  delete sd['num_batches_tracked'];
  expect(bn.loadStateDict(sd).missingKeys).toEqual([]);
  expect(bn.numBatchesTracked?.item()).toBe(0);
});

test('non-persistent buffers stay out of the state dict; null entries are skipped', () => {
  class WithCache extends Module {
    constructor() {
      super();
      this.registerBuffer('cache', zeros([3]), { persistent: false });
      this.registerBuffer('stat', ones([1]));
      this.registerParameter('unused', null);
      this.registerBuffer('none', null);
    }
  }
  const m = new WithCache();
  expect(Object.keys(m.stateDict())).toEqual(['stat']);
  expect(m.namedBuffers().map(([n]) => n)).toEqual(['cache', 'stat']);
  expect(m.loadStateDict({ stat: tensor([2]) })).toEqual({ missingKeys: [], unexpectedKeys: [] });
  m.registerBuffer('stat', null);
  expect(Object.keys(m.stateDict())).toEqual([]);
  expect(new Parameter(ones([1])).isKept).toBe(true);
});
