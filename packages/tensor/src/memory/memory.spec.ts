/**
 * Memory stays flat in a training loop written like the seed (no dispose calls):
 * step scopes release each iteration's tensors, the graph releases its saved values,
 * and only parameters and gradients live across steps.
 */
import {
  TensorDisposedError,
  beginScope,
  beginStep,
  gather,
  linear,
  logSoftmax,
  mean,
  memoryStats,
  neg,
  noGrad,
  randint,
  randn,
  relu,
  scope,
  scopeDepth,
  setBackend,
  steps,
  tensor,
  unsqueeze,
  type Tensor,
} from '../index';

/** A small MLP, as the seed's but narrow so that 3,000 steps take a few seconds. */
const LAYERS = [20, 32, 32, 4];
const BATCH = 16;
/**
 * Steps per backend: 3,000 on wasm (whose heap is the one that could creep), 1,000
 * on the pure-JS cpu backend, which runs the same scope and graph code about 4x slower.
 */
const STEPS = { wasm: 3000, cpu: 1000 } as const;
/** Steps before the counters are read: the first ones allocate the `.grad` tensors. */
const WARM_UP = 50;
const LR = 0.01;

function makeParams(): Tensor[] {
  return LAYERS.slice(1).flatMap((out, i) => [
    randn([out, LAYERS[i] as number]).mul(0.1).requiresGrad_().keep(),
    randn([out]).mul(0.1).requiresGrad_().keep(),
  ]);
}

function* batches(n: number): Generator<[Tensor, Tensor]> {
  for (let i = 0; i < n; i++) yield [randn([BATCH, LAYERS[0] as number]), randint(0, LAYERS[LAYERS.length - 1] as number, [BATCH])];
}

/** The seed's forward and CrossEntropyLoss (logSoftmax, gather of the targets, mean). */
function lossOf(params: Tensor[], x: Tensor, y: Tensor): Tensor {
  let h = x;
  for (let i = 0; i < params.length; i += 2) {
    h = linear(h, params[i] as Tensor, params[i + 1] as Tensor);
    if (i + 2 < params.length) h = relu(h);
  }
  return neg(mean(gather(logSoftmax(h, 1), 1, unsqueeze(y, 1))));
}

describe.each(['wasm', 'cpu'] as const)('memory on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  test(`${STEPS[backend]} seed-style training steps keep tensors and the wasm heap flat`, () => {
    const params = makeParams();
    let baseline = { tfjsTensors: 0, wasmHeapBytes: 0, loomTensors: 0 };
    let peak = { tfjsTensors: 0, wasmHeapBytes: 0, loomTensors: 0 };
    let step = 0;
    let loss: Tensor | null = null;
    for (const [x, y] of steps(batches(STEPS[backend]))) {
      loss = lossOf(params, x, y);
      for (const p of params) {
        // zeroGrad by disposal, as Optimizer.zeroGrad() does with setToNone.
        p.grad?.dispose();
        p.grad = null;
      }
      loss.backward();
      noGrad(() => {
        for (const p of params) p.sub_(p.grad as Tensor, { alpha: LR });
      });
      step++;
      const now = memoryStats();
      if (step === WARM_UP) baseline = { ...now };
      if (step > WARM_UP) {
        peak = {
          tfjsTensors: Math.max(peak.tfjsTensors, now.tfjsTensors),
          wasmHeapBytes: Math.max(peak.wasmHeapBytes, now.wasmHeapBytes),
          loomTensors: Math.max(peak.loomTensors, now.loomTensors),
        };
      }
    }
    expect(step).toBe(STEPS[backend]);
    // Every step allocates the same tensors and releases the previous step's: the
    // counts read at the same point of each step do not move.
    expect(peak.tfjsTensors).toBe(baseline.tfjsTensors);
    expect(peak.loomTensors).toBe(baseline.loomTensors);
    // The wasm heap only grows; after warm-up the allocator reuses what it has.
    expect(peak.wasmHeapBytes).toBe(baseline.wasmHeapBytes);
    // The last step's tensors survive the loop.
    expect(Number.isFinite((loss as Tensor).item())).toBe(true);
    for (const p of params) {
      p.grad?.dispose();
      p.dispose();
    }
  });

  test("the last iteration's tensors survive the loop and go when the next loop starts", () => {
    let last: Tensor | null = null;
    for (const i of steps([1, 2, 3])) last = tensor([i, i]).sum();
    expect((last as Tensor).item()).toBe(6);
    const before = memoryStats().loomTensors;
    for (const _ of steps([0])) {
      // The next loop's first step released the previous loop's last iteration.
      expect((last as Tensor).isDisposed).toBe(true);
    }
    expect(() => (last as Tensor).item()).toThrow(TensorDisposedError);
    expect(() => (last as Tensor).item()).toThrow(/released at the end of loop step 2/);
    expect(memoryStats().loomTensors).toBeLessThan(before);
  });

  test('a hand-opened step (beginStep) also releases the deferred last iteration', () => {
    let last: Tensor | null = null;
    for (const i of steps([5])) last = tensor([i]);
    const end = beginStep('manual step');
    expect((last as Tensor).isDisposed).toBe(true);
    end();
  });

  test('beginScope releases what was made since, except what its end keeps, or hands all of it on', () => {
    let kept: Tensor | null = null;
    let dropped: Tensor | null = null;
    let handedOn: Tensor | null = null;
    const outer = scope(() => {
      const end = beginScope('fetch');
      kept = tensor([1, 2]);
      dropped = tensor([3]).add(1);
      end([kept]);
      expect((dropped as Tensor).isDisposed).toBe(true);
      expect(() => (dropped as Tensor).item()).toThrow(/released at the end of fetch/);
      expect((kept as Tensor).isDisposed).toBe(false);
      const endAll = beginScope('fetch 2');
      handedOn = tensor([5]);
      endAll('all');
      expect((handedOn as Tensor).isDisposed).toBe(false);
      return (kept as Tensor).sum();
    });
    // Kept and handed-on tensors moved to the enclosing scope, which released them.
    expect(outer.item()).toBe(3);
    expect((kept as Tensor | null)?.isDisposed).toBe(true);
    expect((handedOn as Tensor | null)?.isDisposed).toBe(true);
  });

  test('scope() with an async function releases temporaries made across awaits and keeps the result', async () => {
    const depth = scopeDepth();
    const before = memoryStats().tfjsTensors;
    const temporaries: Tensor[] = [];
    const result = await scope(async () => {
      const a = randn([4]);
      temporaries.push(a);
      await new Promise((resolve) => setTimeout(resolve, 1));
      const b = a.mul(2);
      temporaries.push(b);
      await Promise.resolve();
      return { out: b.add(1), nested: [b.sum()] };
    });
    expect(scopeDepth()).toBe(depth);
    expect(temporaries.every((t) => t.isDisposed)).toBe(true);
    expect(result.out.isDisposed).toBe(false);
    expect(result.nested[0]!.isDisposed).toBe(false);
    expect(result.out.shape).toEqual([4]);
    result.out.dispose();
    result.nested[0]!.dispose();
    // At most: while awaiting, the collector may release tensors earlier tests dropped.
    expect(memoryStats().tfjsTensors).toBeLessThanOrEqual(before);
  });

  test('scope() with an async function that rejects releases everything and rethrows', async () => {
    const before = memoryStats().tfjsTensors;
    let made: Tensor | null = null;
    await expect(
      scope(async () => {
        made = randn([3]).mul(2);
        await Promise.resolve();
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((made as Tensor | null)?.isDisposed).toBe(true);
    expect(memoryStats().tfjsTensors).toBeLessThanOrEqual(before);
  });

  test('a forward whose backward never runs (evaluation outside noGrad) leaves nothing behind', () => {
    const params = makeParams();
    let baseline = 0;
    let step = 0;
    for (const [x, y] of steps(batches(200))) {
      lossOf(params, x, y).item(); // the graph is recorded, never consumed
      if (++step === WARM_UP) baseline = memoryStats().tfjsTensors;
    }
    expect(memoryStats().tfjsTensors).toBe(baseline);
    for (const p of params) p.dispose();
  });

  test('activations released by a scope stay available to the backward of a result it returned', () => {
    const w = randn([3, 3]).requiresGrad_().keep();
    let hidden: Tensor | null = null;
    const loss = scope(() => {
      hidden = w.mul(2).exp();
      return hidden.sum();
    });
    expect((hidden as Tensor | null)?.isDisposed).toBe(true);
    loss.backward();
    const expected = w.mul(2).exp().mul(2).data();
    const got = (w.grad as Tensor).data();
    got.forEach((g, i) => expect(g).toBeCloseTo(expected[i] as number, 5));
    w.grad?.dispose();
    w.dispose();
  });

  test('a graph released by backward frees its saved tensors', () => {
    const w = randn([8, 8]).requiresGrad_().keep();
    const before = memoryStats().tfjsTensors;
    scope(() => {
      w.matmul(w).relu().sigmoid().sum().backward();
    });
    // Only w's own values (moved to the backend on first use) and w.grad are left.
    expect(memoryStats().tfjsTensors).toBe(before + 2);
    w.grad?.dispose();
    w.dispose();
  });
});
