/** Sequential, ModuleList and ModuleDict: registration, indexing, iteration, PyTorch keys. */
import { Tensor, randn, ready } from '@loom/tensor';
import { Linear, Module, ModuleDict, ModuleList, ReLU, RegistrationError, Sequential, Sigmoid, Tanh } from '../index';

beforeAll(() => ready());

describe('Sequential', () => {
  test('indexes by position (at, negative), by key ([i]), counts, iterates and chains', () => {
    const a = new Linear(4, 3);
    const r = new ReLU();
    const b = new Linear(3, 2);
    const seq = new Sequential(a, r, b);
    expect(seq.at(0)).toBe(a);
    expect(seq.at(-1)).toBe(b);
    expect(seq[1]).toBe(r);
    expect(seq.length).toBe(3);
    expect([...seq]).toEqual([a, r, b]);
    const x = randn([5, 4]);
    expect(seq(x).toArray()).toEqual(b(r(a(x))).toArray());
    expect(() => seq.at(3)).toThrow(/index 3 is out of range for 3 modules/);
  });

  test('append, assignment by index, slices keep keys', () => {
    const seq = new Sequential(new Linear(2, 2));
    seq.append(new ReLU()).append(new Linear(2, 1));
    expect(Object.keys(seq.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    const replacement = new Tanh();
    (seq as unknown as Record<number, Module>)[1] = replacement;
    expect(seq.at(1)).toBe(replacement);
    const tail = seq.slice(1);
    expect(tail.length).toBe(2);
    expect(Object.keys(tail.stateDict())).toEqual(['2.weight', '2.bias']);
    expect(tail.at(1)).toBe(seq.at(2));
  });

  test('named children from a Map or object', () => {
    const seq = new Sequential(new Map<string, Module>([['fc', new Linear(2, 2)], ['act', new Sigmoid()]]));
    expect(seq.namedChildren().map(([n]) => n)).toEqual(['fc', 'act']);
    expect(Object.keys(new Sequential({ head: new Linear(1, 1) }).stateDict())).toEqual(['head.weight', 'head.bias']);
  });
});

describe('ModuleList', () => {
  test('registers its modules under indices and iterates them', () => {
    class Deep extends Module {
      layers = new ModuleList(Array.from({ length: 3 }, () => new Linear(4, 4)));
      override forward(x: Tensor): Tensor {
        for (const layer of this.layers) x = layer(x).relu();
        return x;
      }
    }
    const model = new Deep();
    expect(Object.keys(model.stateDict())).toEqual([
      'layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias', 'layers.2.weight', 'layers.2.bias',
    ]);
    expect(model(randn([2, 4])).shape).toEqual([2, 4]);
    expect(model.layers.length).toBe(3);
    expect(model.layers.at(-1)).toBe(model.layers[2]);
  });

  test('append, extend and insert renumber as PyTorch', () => {
    const a = new ReLU();
    const b = new Tanh();
    const c = new Sigmoid();
    const list = new ModuleList([a]);
    list.extend([b]);
    list.insert(0, c);
    expect([...list]).toEqual([c, a, b]);
    expect(list.namedChildren().map(([n]) => n)).toEqual(['0', '1', '2']);
    expect(list[0]).toBe(c);
  });
});

describe('ModuleDict', () => {
  test('holds modules by name in insertion order', () => {
    const cls = new Linear(4, 3);
    const heads = new ModuleDict({ cls, box: new Linear(4, 2) });
    expect(heads.get('cls')).toBe(cls);
    expect((heads as unknown as Record<string, Module>)['cls']).toBe(cls);
    expect([...heads.keys()]).toEqual(['cls', 'box']);
    expect([...heads]).toEqual(['cls', 'box']);
    expect(heads.has('box')).toBe(true);
    expect(heads.size).toBe(2);
    heads.set('aux', new ReLU());
    expect(heads.entries().map(([k]) => k)).toEqual(['cls', 'box', 'aux']);
    expect(heads.pop('box')).toBeInstanceOf(Linear);
    expect(Object.keys(heads.stateDict())).toEqual(['cls.weight', 'cls.bias']);
    expect(heads.values()).toHaveLength(2);
    expect(() => heads.get('box')).toThrow(/no module named 'box'/);
  });

  test('refuses names of its methods, as PyTorch', () => {
    expect(() => new ModuleDict({ keys: new ReLU() })).toThrow(RegistrationError);
    expect(() => new ModuleDict([['a.b', new ReLU()]])).toThrow(/can't contain "."/);
  });
});
