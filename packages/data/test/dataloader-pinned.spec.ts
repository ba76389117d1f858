/**
 * `pinMemory: true`: workers write batches straight into a ring of shared slots that
 * are recycled (NOTE [Pinned batch slots]); in the steady state nothing batch-sized is
 * allocated, and no tensor ever sees a slot being rewritten.
 */
import { Generator, arange, backendInfo, ready, type Tensor } from '@loom/tensor';
import { DataLoader, TensorDataset } from '@loom/data';

const ROWS = 400;
const BATCH = 8;
const BATCHES = ROWS / BATCH;
const WORKERS = 2;
const IN_FLIGHT = 2 * WORKERS; // prefetchFactor 2
/** Slots of a ring: the batches in flight, the one in use and the one before it. */
const SLOTS = IN_FLIGHT + 2;

/** Row i of X is [6i, ..., 6i + 5]; y[i] = i. */
const dataset = (): TensorDataset => new TensorDataset(arange(0, ROWS * 6).reshape([ROWS, 6]), arange(0, ROWS).int());

function expectRows(X: Tensor, y: Tensor): void {
  const labels = y.toArray() as number[];
  expect(X.toArray()).toEqual(labels.map((i) => Array.from({ length: 6 }, (_, k) => 6 * i + k)));
}

describe('DataLoader pinMemory', () => {
  beforeAll(() => ready());

  it('gives the batches of an unpinned loader, and allocates no batch buffer once the ring exists', async () => {
    const options = { batchSize: BATCH, shuffle: true, numWorkers: WORKERS, persistentWorkers: true };
    const plain = new DataLoader(dataset(), { ...options, generator: new Generator(3) });
    const pinned = new DataLoader(dataset(), { ...options, generator: new Generator(3), pinMemory: true });
    const expected: number[][] = [];
    for await (const [, y] of plain) expected.push(y!.toArray() as number[]);
    expect(plain.stats()).toMatchObject({ batchBuffersAllocated: BATCHES, pinnedBuffersAllocated: 0, pinnedBatches: 0 });

    // Epoch 1, a training loop: X and y are used by ops (uploaded to the kernels).
    let k = 0;
    for await (const [X, y] of pinned) {
      expect(y!.toArray()).toEqual(expected[k++]);
      expect(X!.sum().item()).toBe((y!.toArray() as number[]).reduce((s, i) => s + 36 * i + 15, 0));
    }
    // The first P·N batches were sent before the first one told the ring's slot size.
    expect(pinned.stats()).toMatchObject({ pinnedBuffersAllocated: SLOTS, batchBuffersAllocated: IN_FLIGHT, pinnedBatches: BATCHES - IN_FLIGHT });

    // Epoch 2, a loop that only reads values: slots come back one batch later.
    for await (const [X, y] of pinned) expectRows(X!, y!);
    expect(pinned.stats()).toMatchObject({ pinnedBuffersAllocated: SLOTS, batchBuffersAllocated: IN_FLIGHT, pinnedBatches: 2 * BATCHES - IN_FLIGHT });
    await Promise.all([plain.close(), pinned.close()]);
  });

  it('leaves its slot to a batch tensor that is kept, and replaces the slot in the ring', async () => {
    const loader = new DataLoader(dataset(), { batchSize: BATCH, numWorkers: WORKERS, pinMemory: true, persistentWorkers: true });
    await (async () => {
      for await (const batch of loader) void batch; // warm-up epoch: the ring exists from here on
    })();
    const kept: [Tensor, Tensor][] = [];
    let k = 0;
    for await (const [X, y] of loader) {
      if (k++ % 10 === 0) kept.push([X!.keep(), y!.keep()]); // kept, never used by an op
    }
    for (const [X, y] of kept) expectRows(X, y);
    expect(kept.map(([, y]) => (y.toArray() as number[])[0])).toEqual([0, 80, 160, 240, 320]);
    // One new buffer per kept batch (its slot now belongs to its tensors), nothing else;
    // on the cpu backend batches are copied out of their slots, which stay in the ring.
    const copiedOut = backendInfo()?.name === 'cpu';
    expect(loader.stats().pinnedBuffersAllocated).toBe(SLOTS + (copiedOut ? 0 : kept.length));
    for (const [X, y] of kept) {
      X.dispose();
      y.dispose();
    }
    await loader.close();
  });
});
