/**
 * Module mechanics: registration through class fields and constructor assignments
 * (PyTorch's __setattr__ rules), the callable form, traversal, modes, gradients and
 * hooks.
 */
import { inspect } from 'node:util';
import { Tensor, noGrad, ones, randn, ready, tensor, zeros } from '@loom/tensor';
import {
  BatchNorm1d, Dropout, ForwardNotImplementedError, Linear, Module, Parameter, RegistrationError, ReLU, Sequential, isParameter,
} from '../index';
import { NeuralNetwork } from '../testing/seed-model';

beforeAll(() => ready());

const SEED_KEYS = [
  'linear_relu_stack.0.weight',
  'linear_relu_stack.0.bias',
  'linear_relu_stack.2.weight',
  'linear_relu_stack.2.bias',
  'linear_relu_stack.4.weight',
  'linear_relu_stack.4.bias',
];

/** The seed model again, registering through constructor assignments and a camelCase name. */
class AssignedNetwork extends Module {
  declare flatten: Module;
  declare linearReluStack: Sequential;

  constructor() {
    super();
    this.linearReluStack = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
    this.flatten = new Sequential();
  }

  override forward(x: Tensor): Tensor {
    return this.linearReluStack(x);
  }
}

describe('registration', () => {
  test('class fields register in declaration order with PyTorch keys', () => {
    const model = new NeuralNetwork();
    expect(Object.keys(model.stateDict())).toEqual(SEED_KEYS);
    expect(model.namedChildren().map(([name]) => name)).toEqual(['flatten', 'linear_relu_stack']);
    expect(model.parameters()).toHaveLength(6);
    expect(model.parameters().reduce((n, p) => n + p.numel(), 0)).toBe(784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10);
  });

  test('constructor assignments register in assignment order, camelCase names as given', () => {
    const model = new AssignedNetwork();
    expect(model.namedChildren().map(([name]) => name)).toEqual(['linearReluStack', 'flatten']);
    expect(Object.keys(model.stateDict())).toEqual(['linearReluStack.0.weight', 'linearReluStack.0.bias', 'linearReluStack.2.weight', 'linearReluStack.2.bias']);
  });

  test('parameters assigned as properties register; plain tensors and numbers do not', () => {
    class Custom extends Module {
      scale = new Parameter(ones([1]));
      offset = zeros([1]);
      count = 3;
      constructor() {
        super();
        this.registerBuffer('steps', zeros([], { dtype: 'int32' }));
        this.registerBuffer('cache', zeros([2]), { persistent: false });
      }
    }
    const m = new Custom();
    expect(m.namedParameters().map(([n]) => n)).toEqual(['scale']);
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['steps', 'cache']);
    expect(Object.keys(m.stateDict())).toEqual(['scale', 'steps']);
    expect(m.scale.requiresGrad).toBe(true);
    expect(m.scale instanceof Parameter).toBe(true);
    expect(m.offset instanceof Parameter).toBe(false);
    expect(isParameter(m.scale)).toBe(true);
  });

  test('reassigning replaces in place in the order; null clears; delete unregisters', () => {
    const model = new NeuralNetwork();
    const fc = model.linear_relu_stack.at(0) as Linear;
    fc.bias = null;
    expect(Object.keys(model.stateDict())).not.toContain('linear_relu_stack.0.bias');
    fc.bias = new Parameter(zeros([512]));
    expect(Object.keys(model.stateDict())).toEqual(SEED_KEYS);
    model.linear_relu_stack = new Sequential(new Linear(784, 10));
    expect(Object.keys(model.stateDict())).toEqual(['linear_relu_stack.0.weight', 'linear_relu_stack.0.bias']);
    delete (model as unknown as Record<string, unknown>)['linear_relu_stack'];
    expect(model.parameters()).toHaveLength(0);
    expect(model.namedChildren().map(([n]) => n)).toEqual(['flatten']);
  });

  test('values that do not fit a registered name are refused, naming it (as PyTorch)', () => {
    const fc = new Linear(2, 2);
    expect(() => {
      (fc as unknown as { weight: Tensor }).weight = randn([2, 2]);
    }).toThrow(/cannot assign 'Tensor \[2,2\] float32' as parameter 'weight' of Linear \(Parameter or null expected\)/);
    const seq = new Sequential(new ReLU());
    expect(() => {
      (seq as unknown as Record<string, unknown>)['0'] = 5;
    }).toThrow(/as child module '0'/);
    const bn = new BatchNorm1d(2);
    expect(() => {
      (bn as unknown as Record<string, unknown>)['running_mean'] = 'x';
    }).toThrow(/as buffer 'running_mean'/);
  });

  test('a subclass field that redeclares a registered name says to use declare', () => {
    class Sub extends Linear {
      // @ts-expect-error TypeScript refuses this too (TS2612); plain JavaScript reaches the runtime check.
      weight!: Parameter;
    }
    expect(() => new Sub(2, 2)).toThrow(/declare/);
  });

  test('names are checked as PyTorch checks them', () => {
    const m = new Module();
    expect(() => m.registerParameter('a.b', new Parameter(ones([1])))).toThrow(RegistrationError);
    expect(() => m.registerBuffer('', ones([1]))).toThrow(/can't be empty/);
    expect(() => m.registerModule('train', new ReLU())).toThrow(/attribute 'train' already exists/);
    expect(() => m.registerParameter('p', ones([1]) as Parameter)).toThrow(/Parameter or null required/);
    expect(() => m.registerModule('x', {} as Module)).toThrow(/is not a Module subclass/);
    expect(() => {
      (m as unknown as Record<string, unknown>)['eval'] = new ReLU();
    }).toThrow(/method or accessor/);
  });
});

describe('callable modules', () => {
  test('model(x) runs forward; instanceof, typeof and properties work', () => {
    const model = new NeuralNetwork();
    const x = randn([3, 1, 28, 28]);
    expect(model(x).toArray()).toEqual(model.forward(x).toArray());
    expect(model).toBeInstanceOf(NeuralNetwork);
    expect(model).toBeInstanceOf(Module);
    expect(typeof model).toBe('function');
    expect(model.training).toBe(true);
    expect(model.linear_relu_stack.length).toBe(5);
    expect(model.constructor).toBe(NeuralNetwork);
    expect(model.call(undefined, x).toArray()).toEqual(model(x).toArray());
    expect([x].map(model)[0]?.shape).toEqual([3, 10]);
  });

  test('a child named like a function property works (no own name/length)', () => {
    class Named extends Module {
      // A call signature gives modules Function's apparent members, hence `override`.
      override name = new ReLU();
      override length = 3;
    }
    const m = new Named();
    expect(m.name).toBeInstanceOf(ReLU);
    expect(m.length).toBe(3);
  });

  test('a module without forward says so', () => {
    expect(() => new Module()(tensor([1]))).toThrow(ForwardNotImplementedError);
    expect(() => new Module()(tensor([1]))).toThrow('Module [Module] is missing the required "forward" function');
  });

  test('console.log prints the tree', () => {
    expect(inspect(new Linear(2, 3))).toBe('Linear(in_features=2, out_features=3, bias=True)');
  });
});

describe('traversal and modes', () => {
  test('modules are walked depth first, shared modules and parameters once', () => {
    const shared = new Linear(2, 2);
    const seq = new Sequential(shared, new ReLU(), shared);
    expect(seq.namedModules().map(([n]) => n)).toEqual(['', '0', '1']);
    expect(seq.parameters()).toHaveLength(2);
    expect(seq.children()).toHaveLength(2);
    const model = new NeuralNetwork();
    expect(model.modules()).toHaveLength(8);
    expect(model.getSubmodule('linear_relu_stack.4')).toBe(model.linear_relu_stack.at(4));
    expect(() => model.getSubmodule('linear_relu_stack.9')).toThrow(/has no attribute `9`/);
    expect(model.parameters(false)).toHaveLength(0);
  });

  test('train/eval reach every descendant', () => {
    const model = new Sequential(new Linear(2, 2), new Sequential(new Dropout()));
    model.eval();
    expect(model.modules().every((m) => !m.training)).toBe(true);
    expect(model.train()).toBe(model);
    expect(model.modules().every((m) => m.training)).toBe(true);
  });

  test('apply visits children first, then the module', () => {
    const model = new NeuralNetwork();
    const seen: string[] = [];
    model.apply((m) => seen.push(m.constructor.name));
    expect(seen).toEqual(['Flatten', 'Linear', 'ReLU', 'Linear', 'ReLU', 'Linear', 'Sequential', 'NeuralNetwork']);
  });

  test('requiresGrad_ freezes; to() accepts cpu and refuses dtypes', () => {
    const fc = new Linear(2, 2);
    fc.requiresGrad_(false);
    expect(fc.parameters().every((p) => !p.requiresGrad)).toBe(true);
    expect(fc.to('cpu')).toBe(fc);
    expect(() => fc.to('int32')).toThrow(/parameters are float32/);
  });
});

describe('gradients', () => {
  test('zeroGrad disposes and drops the gradients by default, or zeroes them', () => {
    const fc = new Linear(3, 2);
    fc(randn([4, 3])).sum().backward();
    const grad = fc.weight.grad as Tensor;
    fc.zeroGrad();
    expect(fc.weight.grad).toBeNull();
    expect(grad.isDisposed).toBe(true);
    fc(randn([4, 3])).sum().backward();
    fc.zeroGrad({ setToNone: false });
    expect(fc.weight.grad?.toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
  });

  test('Parameter copies host values, keeps the tensor and refuses integer tensors', () => {
    const data = ones([2]);
    const p = new Parameter(data);
    expect(p).not.toBe(data);
    expect(data.requiresGrad).toBe(false);
    expect(p.isKept).toBe(true);
    expect(new Parameter(data, false).requiresGrad).toBe(false);
    expect(() => new Parameter(zeros([2], { dtype: 'int32' }))).toThrow(/only float32/);
    const computed = noGrad(() => randn([2]).mul(2));
    expect(new Parameter(computed).isLeaf).toBe(true);
  });
});

describe('hooks', () => {
  test('pre-hooks may replace the inputs and hooks the output; handles remove them', () => {
    const fc = new Linear(2, 2);
    const calls: string[] = [];
    const pre = fc.registerForwardPreHook((m, inputs) => {
      calls.push(`pre ${m.constructor.name}`);
      return [(inputs[0] as Tensor).mul(0)];
    });
    const post = fc.registerForwardHook((_m, _inputs, output) => {
      calls.push('post');
      return (output as Tensor).add(1);
    });
    const out = fc(randn([1, 2]));
    const bias = fc.bias!.data();
    expect(Array.from(out.data())).toEqual([(bias[0] as number) + 1, (bias[1] as number) + 1].map(Math.fround));
    expect(calls).toEqual(['pre Linear', 'post']);
    pre.remove();
    post.remove();
    post.remove();
    const x = randn([1, 2]);
    expect(fc(x).toArray()).toEqual(fc.forward(x).toArray());
  });

  test('hooks of children run when the parent calls them', () => {
    const model = new NeuralNetwork();
    const shapes: number[][] = [];
    model.linear_relu_stack.at(1).registerForwardHook((_m, _in, out) => {
      shapes.push([...(out as Tensor).shape]);
    });
    model(randn([2, 1, 28, 28]));
    expect(shapes).toEqual([[2, 512]]);
  });
});
