/**
 * 20-step trajectories of every optimizer on a 784-64-64-10 MLP (the seed's structure,
 * narrower) against PyTorch 1.13: tools/goldens/make_optim_goldens.py.
 */
import { ready, steps, type Tensor } from '@loom/tensor';
import { makeOptimizer, makeParams, mlpBatch, mlpLoss, mlpShapes, readFloat32, readJson } from './testing/goldens';

interface ParamSummary {
  shape: number[];
  sum: number;
  sumOfSquares: number;
  sampleOffset: number;
  sampleLength: number;
}
interface TrajectoryCase {
  optimizer: string;
  defaults: Record<string, unknown>;
  groups: Record<string, unknown>[] | null;
  losses: number[];
  params: ParamSummary[];
}
interface Trajectories {
  steps: number;
  batch: number;
  layers: number[];
  sampleStride: number;
  cases: Record<string, TrajectoryCase>;
}

/** The bound on parameters after 20 steps. */
const PARAM_TOLERANCE = 1e-4;
/** Losses are compared before each step; they agree to float32 rounding of a 784-wide dot. */
const LOSS_TOLERANCE = 1e-5;
/**
 * Sums over a whole parameter, compared per element (sum) and relatively (sum of
 * squares). Measured: at most 3e-7 on wasm, 4e-6 on the cpu backend (centered
 * RMSprop, whose sqrt(v - ḡ²) cancels in the first steps).
 */
const SUM_TOLERANCE = 1e-5;

const golden = readJson<Trajectories>('optim_trajectories.json');
const samples = readFloat32('optim_trajectories.bin');
const init = readFloat32('optim_mlp_init.bin');
const shapes = mlpShapes(golden.layers);

beforeAll(() => ready());

function train(c: TrajectoryCase): { params: Tensor[]; losses: number[] } {
  const params = makeParams(init, shapes);
  const optimizer = makeOptimizer(c.optimizer, params, c.defaults, c.groups);
  const losses: number[] = [];
  for (const step of steps(Array.from({ length: golden.steps }, (_, i) => i))) {
    const [x, y] = mlpBatch(step, golden.batch, golden.layers[0] as number);
    optimizer.zeroGrad();
    const loss = mlpLoss(params, x, y);
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
  }
  optimizer.dispose();
  return { params, losses };
}

describe.each(Object.entries(golden.cases))('%s matches PyTorch after 20 steps', (_name, c) => {
  test(`${c.optimizer} ${JSON.stringify(c.defaults)}`, () => {
    const { params, losses } = train(c);
    const lossDiff = Math.max(...losses.map((l, i) => Math.abs(l - (c.losses[i] as number))));
    let maxDiff = 0;
    let sumDiff = 0;
    params.forEach((p, i) => {
      const s = c.params[i] as ParamSummary;
      expect(p.shape).toEqual(s.shape);
      const values = p.data() as Float32Array;
      for (let j = 0; j < s.sampleLength; j++) {
        maxDiff = Math.max(maxDiff, Math.abs((values[j * golden.sampleStride] as number) - (samples[s.sampleOffset + j] as number)));
      }
      let sum = 0;
      let sumSq = 0;
      for (const v of values) {
        sum += v;
        sumSq += v * v;
      }
      sumDiff = Math.max(sumDiff, Math.abs(sum - s.sum) / values.length, Math.abs(sumSq - s.sumOfSquares) / s.sumOfSquares);
      p.dispose();
    });
    expect(lossDiff).toBeLessThan(LOSS_TOLERANCE);
    expect(maxDiff).toBeLessThan(PARAM_TOLERANCE);
    expect(sumDiff).toBeLessThan(SUM_TOLERANCE);
  });
});
