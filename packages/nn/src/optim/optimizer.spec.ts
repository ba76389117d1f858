/** The Optimizer base: groups, validation, zeroGrad, step, memory, and the pure rules. */
import { ArgumentError, memoryStats, noGrad, ready, steps, tensor, zeros, type Tensor } from '@loom/tensor';
import { Adagrad, Adam, AdamW, RMSprop, SGD, sgd, type Optimizer } from './index';
import { makeParams, mlpBatch, mlpLoss, mlpShapes, readFloat32 } from './testing/goldens';

beforeAll(() => ready());

const leaf = (values: number[]): Tensor => tensor(values, { requiresGrad: true }).keep();

/** Gives every parameter a gradient: d/dp sum(p²) = 2p. */
function backwardSquares(params: Tensor[]): void {
  params.map((p) => p.mul(p).sum()).reduce((a, b) => a.add(b)).backward();
}

describe('construction', () => {
  test('takes parameters or parameter groups with defaults filled in', () => {
    const a = leaf([1, 2]);
    const b = leaf([3]);
    const opt = new SGD([{ params: [a] }, { params: b, lr: 0.5, momentum: 0.9 }], { lr: 0.1 });
    expect(opt.paramGroups).toHaveLength(2);
    expect(opt.paramGroups[0]).toMatchObject({ lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false });
    expect(opt.paramGroups[1]).toMatchObject({ lr: 0.5, momentum: 0.9 });
    expect(opt.paramGroups[1]!.params[0]).toBe(b);
    opt.addParamGroup({ params: [leaf([0])], weightDecay: 0.1 });
    expect(opt.paramGroups[2]).toMatchObject({ lr: 0.1, weightDecay: 0.1 });
  });

  test('uses PyTorch 1.13 defaults', () => {
    const p = leaf([1]);
    expect(new Adam([p]).paramGroups[0]).toMatchObject({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false });
    expect(new AdamW([p]).paramGroups[0]).toMatchObject({ lr: 1e-3, weightDecay: 1e-2 });
    expect(new RMSprop([p]).paramGroups[0]).toMatchObject({ lr: 1e-2, alpha: 0.99, eps: 1e-8, momentum: 0, centered: false });
    expect(new Adagrad([p]).paramGroups[0]).toMatchObject({ lr: 1e-2, lrDecay: 0, eps: 1e-10, initialAccumulatorValue: 0 });
  });

  test.each([
    ['SGD lr', () => new SGD([leaf([1])], { lr: -1 }), 'Invalid learning rate: -1'],
    ['SGD momentum', () => new SGD([leaf([1])], { lr: 0.1, momentum: -0.5 }), 'Invalid momentum value: -0.5'],
    ['SGD weight decay', () => new SGD([leaf([1])], { lr: 0.1, weightDecay: -1 }), 'Invalid weight_decay value: -1'],
    ['SGD nesterov', () => new SGD([leaf([1])], { lr: 0.1, nesterov: true }), 'Nesterov momentum requires a momentum and zero dampening'],
    ['SGD nesterov dampening', () => new SGD([leaf([1])], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), 'Nesterov momentum requires a momentum and zero dampening'],
    ['SGD group lr', () => new SGD([{ params: [leaf([1])], lr: -2 }], { lr: 0.1 }), 'Invalid learning rate: -2'],
    ['SGD NaN lr', () => new SGD([leaf([1])], { lr: NaN }), 'Invalid learning rate: NaN'],
    ['Adam lr', () => new Adam([leaf([1])], { lr: -0.1 }), 'Invalid learning rate: -0.1'],
    ['Adam eps', () => new Adam([leaf([1])], { eps: -1 }), 'Invalid epsilon value: -1'],
    ['Adam beta 0', () => new Adam([leaf([1])], { betas: [1, 0.999] }), 'Invalid beta parameter at index 0: 1'],
    ['Adam beta 1', () => new Adam([leaf([1])], { betas: [0.9, -0.1] }), 'Invalid beta parameter at index 1: -0.1'],
    ['AdamW weight decay', () => new AdamW([leaf([1])], { weightDecay: -0.01 }), 'Invalid weight_decay value: -0.01'],
    ['RMSprop alpha', () => new RMSprop([leaf([1])], { alpha: -1 }), 'Invalid alpha value: -1'],
    ['RMSprop momentum', () => new RMSprop([leaf([1])], { momentum: -1 }), 'Invalid momentum value: -1'],
    ['Adagrad lr decay', () => new Adagrad([leaf([1])], { lrDecay: -1 }), 'Invalid lr_decay value: -1'],
    ['Adagrad accumulator', () => new Adagrad([leaf([1])], { initialAccumulatorValue: -1 }), 'Invalid initial_accumulator_value value: -1'],
    ['added group', () => new Adam([leaf([1])]).addParamGroup({ params: [leaf([2])], betas: [0.9, 1] }), 'Invalid beta parameter at index 1: 1'],
  ])('refuses a bad hyperparameter with PyTorch\'s message: %s', (_name, make, message) => {
    expect(make).toThrow(ArgumentError);
    expect(make).toThrow(message);
  });

  test.each([
    ['an empty list', () => new SGD([], { lr: 0.1 }), 'optimizer got an empty parameter list'],
    ['a single tensor', () => new SGD(leaf([1]) as unknown as Tensor[], { lr: 0.1 }), 'should be an iterable of Tensors or param groups, but got Tensor'],
    ['a number among params', () => new SGD([{ params: [leaf([1]), 3 as unknown as Tensor] }], { lr: 0.1 }), 'optimizer can only optimize Tensors, but one of the params is number'],
    ['a non-leaf', () => new SGD([leaf([1]).mul(2)], { lr: 0.1 }), "can't optimize a non-leaf Tensor"],
    ['a missing lr', () => new SGD([leaf([1])]), "parameter group didn't specify a value of required optimization parameter lr"],
  ])('refuses %s', (_name, make, message) => {
    expect(make).toThrow(ArgumentError);
    expect(make).toThrow(message);
  });

  test('refuses a parameter twice in a group or in two groups', () => {
    const p = leaf([1]);
    expect(() => new SGD([p, p], { lr: 0.1 })).toThrow('duplicate parameters');
    const opt = new SGD([p], { lr: 0.1 });
    expect(() => opt.addParamGroup({ params: [p] })).toThrow('some parameters appear in more than one parameter group');
    expect(opt.paramGroups).toHaveLength(1);
  });

  test('prints the groups as PyTorch does', () => {
    const opt = new SGD([leaf([1])], { lr: 0.1, momentum: 0.9 });
    expect(opt.toString()).toBe(
      'SGD (\nParameter Group 0\n    dampening: 0\n    lr: 0.1\n    maximize: false\n    momentum: 0.9\n    nesterov: false\n    weightDecay: 0\n)',
    );
  });
});

describe('zeroGrad and step', () => {
  test('zeroGrad releases gradients by default, or zeroes them in place', () => {
    const p = leaf([1, 2]);
    const opt = new SGD([p], { lr: 0.1 });
    backwardSquares([p]);
    const grad = p.grad!;
    opt.zeroGrad({ setToNone: false });
    expect(p.grad).toBe(grad);
    expect(p.grad!.toArray()).toEqual([0, 0]);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
    expect(grad.isDisposed).toBe(true);
  });

  test('updates parameters in place, keeping their identity, and skips those without grad', () => {
    const p = leaf([1, 2]);
    const q = leaf([5]);
    const opt = new SGD([p, q], { lr: 0.25 });
    backwardSquares([p]);
    opt.step();
    expect(opt.paramGroups[0]!.params[0]).toBe(p);
    expect(p.toArray()).toEqual([0.5, 1]);
    expect(q.toArray()).toEqual([5]);
    expect(p.isKept).toBe(true);
    expect(p.requiresGrad).toBe(true);
  });

  test('runs the closure with grad enabled and returns its loss', () => {
    const p = leaf([3]);
    const opt = new SGD([p], { lr: 0.5 });
    const loss = noGrad(() =>
      opt.step(() => {
        opt.zeroGrad();
        const l = p.mul(p).sum();
        l.backward();
        return l;
      }),
    );
    expect(loss!.item()).toBe(9);
    expect(p.toArray()).toEqual([0]);
  });

  test('the pure sgd rule is what SGD.step runs', () => {
    const [a, b] = [leaf([1, -2]), leaf([1, -2])];
    const opt = new SGD([a], { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 });
    const buffers: (Tensor | null)[] = [null];
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      backwardSquares([a]);
      opt.step();
      b.grad?.dispose();
      b.grad = null;
      backwardSquares([b]);
      sgd([b], [b.grad!], buffers, { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0.01, nesterov: true, maximize: false });
    }
    expect(b.data()).toEqual(a.data());
    expect(buffers[0]!.data()).toEqual((opt.state.get(a)!['momentum_buffer'] as Tensor).data());
  });

  test('hyperparameters changed between steps take effect (what schedulers rely on)', () => {
    const p = leaf([1]);
    const opt = new SGD([p], { lr: 0.5 });
    opt.paramGroups[0]!.lr = 0;
    backwardSquares([p]);
    opt.step();
    expect(p.toArray()).toEqual([1]);
  });
});

describe('memory', () => {
  const layers = [784, 64, 64, 10];
  const make: Record<string, (params: Tensor[]) => Optimizer> = {
    'SGD momentum': (p) => new SGD(p, { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-4 }),
    'Adam amsgrad': (p) => new Adam(p, { amsgrad: true, weightDecay: 0.1 }),
    AdamW: (p) => new AdamW(p),
    'RMSprop centered': (p) => new RMSprop(p, { centered: true, momentum: 0.9 }),
    Adagrad: (p) => new Adagrad(p, { lrDecay: 0.1 }),
  };

  test.each(Object.keys(make))('%s: the live tensor count is constant from the second step', (name) => {
    const params = makeParams(readFloat32('optim_mlp_init.bin'), mlpShapes(layers));
    const opt = make[name]!(params);
    const counts: number[][] = [];
    for (const step of steps([0, 1, 2, 3, 4, 5, 6])) {
      const [x, y] = mlpBatch(step, 8, 784);
      opt.zeroGrad();
      mlpLoss(params, x, y).backward();
      opt.step();
      const m = memoryStats();
      counts.push([m.tfjsTensors, m.loomTensors]);
    }
    for (const c of counts.slice(2)) expect(c).toEqual(counts[1]);
    opt.dispose();
    opt.zeroGrad();
    for (const p of params) p.dispose();
  });

  test('dispose releases the state tensors', () => {
    const p = leaf([1, 2]);
    const opt = new Adam([p]);
    backwardSquares([p]);
    opt.step();
    const state = opt.state.get(p)!;
    opt.dispose();
    expect((state['exp_avg'] as Tensor).isDisposed).toBe(true);
    expect(opt.state.size).toBe(0);
  });

  test('state is created lazily, except Adagrad\'s (made by the constructor, as PyTorch)', () => {
    const p = zeros([2], { requiresGrad: true });
    expect(new Adam([p]).state.size).toBe(0);
    const adagrad = new Adagrad([p], { initialAccumulatorValue: 0.5 });
    expect((adagrad.state.get(p)!['sum'] as Tensor).toArray()).toEqual([0.5, 0.5]);
  });
});
