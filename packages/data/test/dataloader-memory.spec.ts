/**
 * The seed's training loop, written as in PyTorch (no dispose), keeps memory flat:
 * each iteration of `for await (const [X, y] of loader)` is a step scope.
 */
import { memoryStats, noGrad, randint, randn, ready, manualSeed } from '@loom/tensor';
import { DataLoader, TensorDataset } from '@loom/data';

const STEPS = 500;
const FEATURES = 8;

describe('DataLoader memory', () => {
  beforeAll(() => ready());

  it.each([
    ['without workers', {}],
    ['with 2 pinned workers', { numWorkers: 2, pinMemory: true }],
  ])('keeps a 500-batch training loop flat %s', async (_, options) => {
    manualSeed(0);
    const data = new TensorDataset(randn([STEPS * 2, FEATURES]), randint(0, 2, [STEPS * 2]));
    const loader = new DataLoader(data, { batchSize: 2, shuffle: true, ...options });
    const w = randn([FEATURES, 1], { requiresGrad: true }).keep();
    const counts: number[] = [];
    let step = 0;
    for await (const [X, y] of loader) {
      const pred = X!.matmul(w).squeeze(1);
      const loss = pred.sub(y!.float()).pow(2).mean();
      loss.backward();
      noGrad(() => {
        w.sub_(w.grad!.mul(0.01));
        w.grad!.zero_();
      });
      if (++step % 50 === 0) counts.push(memoryStats().tfjsTensors);
    }
    expect(step).toBe(STEPS);
    // Flat from the first count on: nothing accumulates from step to step.
    expect(new Set(counts).size).toBe(1);
    w.grad?.dispose();
    w.dispose();
  });
});
