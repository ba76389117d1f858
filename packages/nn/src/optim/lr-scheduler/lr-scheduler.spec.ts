/**
 * Learning-rate schedulers against PyTorch 1.13 (tools/goldens/make_optim_goldens.py):
 * every sequence must be the same float64 numbers, state dicts must carry over both
 * ways, and bad options fail with PyTorch's messages.
 */
import { ArgumentError, ready, zeros } from '@loom/tensor';
import { Adagrad, Adam, OptimizerStateError, SGD, type Optimizer, type OptimizerStateDict } from '../index';
import { camelOptions, decodeFixture, readJson } from '../testing/goldens';
import {
  CosineAnnealingLR,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  MultiStepLR,
  OneCycleLR,
  ReduceLROnPlateau,
  StepLR,
  type LrLambda,
  type SchedulerStateDict,
} from './index';

interface SchedulerCase {
  optimizer: 'sgd' | 'adam';
  lrs: number[];
  groupOptions: Record<string, unknown>;
  schedulers: { type: string; options: Record<string, unknown> }[];
  lr: number[][];
  lastLr: (number[] | null)[];
  momentum: number[][];
  stateDictAt: number;
  stateDict: { schedulers: SchedulerStateDict[]; paramGroups: Record<string, unknown>[] };
}
interface SchedulerGoldens {
  steps: number;
  plateauMetrics: number[];
  cases: Record<string, SchedulerCase>;
}

const golden = readJson<SchedulerGoldens>('optim_schedulers.json');

/** The lambdas of make_optim_goldens.py, by name. */
const LAMBDAS: Record<string, LrLambda> = {
  pow095: (e) => 0.95 ** e,
  inverse: (e) => 1.0 / (e + 1),
  tens: (e) => Math.floor(e / 10),
  warmup5: (e) => Math.min(1.0, (e + 1) / 5),
};

type Scheduler = { step(metric?: number): void; getLastLr(): number[]; stateDict(): SchedulerStateDict; loadStateDict(sd: SchedulerStateDict): void };

function makeScheduler(type: string, optimizer: Optimizer, snake: Record<string, unknown>): Scheduler {
  const options = camelOptions(snake);
  const o = options as never;
  switch (type) {
    case 'StepLR':
      return new StepLR(optimizer, o);
    case 'MultiStepLR':
      return new MultiStepLR(optimizer, o);
    case 'ExponentialLR':
      return new ExponentialLR(optimizer, o);
    case 'CosineAnnealingLR':
      return new CosineAnnealingLR(optimizer, { ...options, tMax: snake['T_max'] as number });
    case 'LambdaLR': {
      const names = snake['lr_lambda'] as string | string[];
      return new LambdaLR(optimizer, { ...options, lrLambda: Array.isArray(names) ? names.map((n) => LAMBDAS[n]!) : LAMBDAS[names]! });
    }
    case 'LinearLR':
      return new LinearLR(optimizer, o);
    case 'OneCycleLR':
      return new OneCycleLR(optimizer, o);
    case 'ReduceLROnPlateau': {
      const plateau = new ReduceLROnPlateau(optimizer, o);
      return { ...plateau, step: (m?: number) => plateau.step(m as number), getLastLr: () => plateau.getLastLr(), stateDict: () => plateau.stateDict(), loadStateDict: (sd) => plateau.loadStateDict(sd) };
    }
    default:
      throw new Error(`unknown scheduler ${type}`);
  }
}

function setUp(c: SchedulerCase): { optimizer: Optimizer; schedulers: Scheduler[] } {
  const groups = c.lrs.map((lr) => ({ ...camelOptions(c.groupOptions), params: [zeros([2], { requiresGrad: true })], lr }));
  const optimizer = c.optimizer === 'sgd' ? new SGD(groups, { lr: c.lrs[0], momentum: 0.9 }) : new Adam(groups, { lr: c.lrs[0] });
  return { optimizer, schedulers: c.schedulers.map((s) => makeScheduler(s.type, optimizer, s.options)) };
}

const lrsOf = (o: Optimizer): number[] => o.paramGroups.map((g) => g.lr);
const momentaOf = (o: Optimizer): number[] =>
  o.paramGroups.map((g) => {
    const group = g as unknown as Record<string, unknown>;
    return 'betas' in group ? (group['betas'] as number[])[0]! : (group['momentum'] as number);
  });

function stepAll(c: SchedulerCase, schedulers: Scheduler[], step: number): void {
  for (const s of schedulers) s.step(c.schedulers[0]!.type === 'ReduceLROnPlateau' ? golden.plateauMetrics[step] : undefined);
}

/**
 * Math.cos and `**` are V8's (fdlibm), PyTorch's Python uses glibc's: both are within
 * an ulp of the true value, but not always the same ulp. Schedulers that call them may
 * differ from PyTorch in the last bit; the others must be bit-for-bit equal.
 */
const LIBM_TOLERANCE = 1e-12;

function usesLibm(c: SchedulerCase): boolean {
  return c.schedulers.some((s) => s.type === 'CosineAnnealingLR' || s.type === 'LambdaLR' || (s.type === 'OneCycleLR' && s.options['anneal_strategy'] !== 'linear'));
}

/** Equal as float64 numbers, or within LIBM_TOLERANCE where libm is involved. */
function expectSame(c: SchedulerCase, step: number, actual: number[], expected: number[] | null | undefined): void {
  if (!usesLibm(c) || expected === null || expected === undefined) {
    expect([step, actual]).toEqual([step, expected]); // toEqual compares numbers with Object.is
    return;
  }
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) => {
    const e = expected[i] as number;
    expect(Math.abs(v - e)).toBeLessThanOrEqual(LIBM_TOLERANCE * Math.abs(e));
  });
}

beforeAll(() => ready());

describe.each(Object.entries(golden.cases))('%s', (_name, c) => {
  test('learning rates and momenta equal PyTorch\'s, as float64 numbers', () => {
    const { optimizer, schedulers } = setUp(c);
    const last = schedulers[schedulers.length - 1]!;
    expect(lrsOf(optimizer)).toEqual(c.lr[0]);
    expect(momentaOf(optimizer)).toEqual(c.momentum[0]);
    for (let step = 0; step < golden.steps; step++) {
      optimizer.step();
      stepAll(c, schedulers, step);
      expectSame(c, step, lrsOf(optimizer), c.lr[step + 1]);
      expectSame(c, step, last.getLastLr(), c.lastLr[step + 1]);
      expectSame(c, step, momentaOf(optimizer), c.momentum[step + 1]);
    }
  });

  test('continues from PyTorch\'s state dict as PyTorch', () => {
    const { optimizer, schedulers } = setUp(c);
    optimizer.loadStateDict({ state: {}, paramGroups: c.stateDict.paramGroups.map((g, i) => ({ ...(decodeFixture(g) as object), params: [i] })) } as OptimizerStateDict);
    schedulers.forEach((s, i) => s.loadStateDict(decodeFixture(c.stateDict.schedulers[i]) as SchedulerStateDict));
    for (let step = c.stateDictAt; step < golden.steps; step++) {
      stepAll(c, schedulers, step);
      expectSame(c, step, lrsOf(optimizer), c.lr[step + 1]);
    }
  });

  test('round-trips through its own state dict, with PyTorch\'s keys', () => {
    const a = setUp(c);
    for (let step = 0; step < c.stateDictAt; step++) stepAll(c, a.schedulers, step);
    const saved = a.schedulers.map((s) => s.stateDict());
    saved.forEach((sd, i) => {
      const theirs = Object.keys(c.stateDict.schedulers[i]!).filter((k) => k !== 'verbose' && k !== '_get_lr_called_within_step');
      expect(Object.keys(sd).filter((k) => k !== 'lr_lambdas').sort()).toEqual(theirs.sort());
    });
    const b = setUp(c);
    b.optimizer.loadStateDict(a.optimizer.stateDict());
    b.schedulers.forEach((s, i) => s.loadStateDict(saved[i]!));
    for (let step = c.stateDictAt; step < golden.steps; step++) {
      stepAll(c, b.schedulers, step);
      expectSame(c, step, lrsOf(b.optimizer), c.lr[step + 1]);
    }
  });
});

describe('scheduler errors', () => {
  const sgd = (): SGD => new SGD([zeros([1], { requiresGrad: true })], { lr: 0.1, momentum: 0.9 });

  test.each([
    ['LinearLR start', () => new LinearLR(sgd(), { startFactor: 1.5 }), 'Starting multiplicative factor expected to be between 0 and 1.'],
    ['LinearLR end', () => new LinearLR(sgd(), { endFactor: -0.1 }), 'Ending multiplicative factor expected to be between 0 and 1.'],
    ['OneCycleLR steps', () => new OneCycleLR(sgd(), { maxLr: 1 }), 'You must define either total_steps OR (epochs AND steps_per_epoch)'],
    ['OneCycleLR total', () => new OneCycleLR(sgd(), { maxLr: 1, totalSteps: 0 }), 'Expected positive integer total_steps, but got 0'],
    ['OneCycleLR epochs', () => new OneCycleLR(sgd(), { maxLr: 1, epochs: 2.5, stepsPerEpoch: 3 }), 'Expected positive integer epochs, but got 2.5'],
    ['OneCycleLR pct', () => new OneCycleLR(sgd(), { maxLr: 1, totalSteps: 10, pctStart: 1.5 }), 'Expected float between 0 and 1 pct_start, but got 1.5'],
    ['OneCycleLR anneal', () => new OneCycleLR(sgd(), { maxLr: 1, totalSteps: 10, annealStrategy: 'exp' as 'cos' }), "anneal_strategy must by one of 'cos' or 'linear', instead got exp"],
    ['OneCycleLR max_lr', () => new OneCycleLR(sgd(), { maxLr: [1, 2], totalSteps: 10 }), 'expected 1 values for max_lr, got 2'],
    ['OneCycleLR momentum', () => new OneCycleLR(new Adagrad([zeros([1], { requiresGrad: true })]), { maxLr: 1, totalSteps: 10 }), 'optimizer must support momentum with `cycle_momentum` option enabled'],
    ['Plateau factor', () => new ReduceLROnPlateau(sgd(), { factor: 1 }), 'Factor should be < 1.0.'],
    ['Plateau mode', () => new ReduceLROnPlateau(sgd(), { mode: 'avg' as 'min' }), 'mode avg is unknown!'],
    ['Plateau threshold mode', () => new ReduceLROnPlateau(sgd(), { thresholdMode: 'pct' as 'rel' }), 'threshold mode pct is unknown!'],
    ['Plateau min lrs', () => new ReduceLROnPlateau(sgd(), { minLr: [0, 0] }), 'expected 1 min_lrs, got 2'],
    ['LambdaLR count', () => new LambdaLR(sgd(), { lrLambda: [() => 1, () => 2] }), 'Expected 1 lr_lambdas, but got 2'],
    ['not an optimizer', () => new StepLR({} as Optimizer, { stepSize: 1 }), 'Object is not an Optimizer'],
    ['resuming', () => new StepLR(sgd(), { stepSize: 2, lastEpoch: 3 }), "param 'initial_lr' is not specified in param_groups[0] when resuming an optimizer"],
    ['OneCycleLR resuming', () => new OneCycleLR(sgd(), { maxLr: 1, totalSteps: 10, lastEpoch: 3 }), "param 'max_lr' is not specified in param_groups[0] when resuming an optimizer"],
    ['StepLR step size', () => new StepLR(sgd(), { stepSize: 0 }), 'StepLR: stepSize must be a positive integer, got 0'],
  ])('%s', (_name, make, message) => {
    expect(make).toThrow(ArgumentError);
    expect(make).toThrow(message);
  });

  test('OneCycleLR refuses to step past totalSteps', () => {
    const s = new OneCycleLR(sgd(), { maxLr: 1, totalSteps: 3 });
    for (let i = 0; i < 3; i++) s.step();
    expect(() => s.step()).toThrow('Tried to step 5 times. The specified number of total steps is 3');
  });

  test('loadStateDict refuses unknown keys, wrong kinds and a wrong group count, changing nothing', () => {
    const s = new StepLR(sgd(), { stepSize: 3 });
    const sd = s.stateDict();
    expect(() => s.loadStateDict({ ...sd, stepsize: 3 })).toThrow(OptimizerStateError);
    expect(() => s.loadStateDict({ ...sd, stepsize: 3 })).toThrow("StepLR.loadStateDict: unexpected key 'stepsize'");
    expect(() => s.loadStateDict({ ...sd, last_epoch: '4' })).toThrow("'last_epoch' must be a number, got string");
    expect(() => s.loadStateDict({ ...sd, base_lrs: [0.1, 0.2] })).toThrow("'base_lrs' must list one number per parameter group (1)");
    expect(() => s.loadStateDict(null as unknown as SchedulerStateDict)).toThrow('expected an object, got null');
    expect(s.stateDict()).toEqual(sd);
    const p = new ReduceLROnPlateau(sgd());
    expect(() => p.loadStateDict({ ...p.stateDict(), mode: 'avg' })).toThrow('mode avg is unknown!');
    expect(p.mode).toBe('min');
  });

  test('ReduceLROnPlateau takes a one-element tensor as the metric', () => {
    const opt = sgd();
    const p = new ReduceLROnPlateau(opt, { patience: 0 });
    p.step(zeros([1]).add(1));
    p.step(zeros([]).add(2));
    expect(opt.paramGroups[0]!.lr).toBeCloseTo(0.01, 15);
  });
});
