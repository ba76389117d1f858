/**
 * The seed's model built by hand from Loom ops gives PyTorch's loss and gradients:
 * 784-512-512-10 with ReLU, CrossEntropyLoss as logSoftmax + gather + mean, batch 64,
 * the weights nn.Linear draws after torch.manual_seed(0)
 * (tools/goldens/make_seed_mlp_goldens.py).
 */
import { fromArray, gather, linear, logSoftmax, mean, neg, relu, setBackend, softmaxCrossEntropy, unsqueeze, type Tensor } from '../index';
import { setHostKernelsEnabled } from '../kernels/host-kernel';
import { expectMatches, mismatches, readFloat32, readJson, type Tolerance } from './testing/goldens';

interface Slice {
  offset: number;
  length: number;
}
interface SeedMlpGolden {
  layers: number[];
  batch: number;
  gradStride: number;
  loss: number;
  params: Record<string, Slice & { shape: number[] }>;
  grads: Record<string, Slice>;
  gradSamples: Record<string, Slice>;
  gradRowSums: Record<string, number[]>;
}

const golden = readJson<SeedMlpGolden>('seed-mlp.json');
const blob = readFloat32('seed-mlp.bin');
const slice = (s: Slice): Float32Array => blob.subarray(s.offset, s.offset + s.length);
const NAMES = ['w1', 'b1', 'w2', 'b2', 'w3', 'b3'] as const;

/** The loss is a mean over 64 rows of 512- and 784-long dot products: 1e-5 relative. */
const LOSS_RTOL = 1e-5;
/**
 * Gradients come out of sums over the batch and over 512/784-wide layers, in another
 * order than PyTorch's: the brief's 1e-4 for large reductions, and an absolute floor
 * of 1e-5 of the tensor's largest gradient for entries that nearly cancel (measured:
 * at most 2e-6 of it on wasm, 1e-6 on cpu).
 */
const GRAD_RTOL = 1e-4;
const GRAD_ATOL_OF_MAX = 1e-5;

/** The batch of make_seed_mlp_goldens.py: pixel k is ((k * 7919 + 13) % 1009) / 1009. */
function batch(): [Tensor, Tensor] {
  const [width] = golden.layers as [number];
  const x = new Float32Array(golden.batch * width);
  for (let k = 0; k < x.length; k++) x[k] = ((k * 7919 + 13) % 1009) / 1009;
  const y = Int32Array.from({ length: golden.batch }, (_, r) => (r * 7 + 3) % 10);
  return [fromArray(x, [golden.batch, width]), fromArray(y, [golden.batch])];
}

function toleranceFor(values: ArrayLike<number>): Tolerance {
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i] as number));
  return { rtol: GRAD_RTOL, atol: GRAD_ATOL_OF_MAX * max };
}

describe.each(['wasm', 'cpu'] as const)('the seed MLP matches PyTorch on %s', (backend) => {
  const params: Record<string, Tensor> = {};
  let loss: Tensor;

  beforeAll(async () => {
    await setBackend(backend);
    for (const name of NAMES) {
      const p = golden.params[name] as Slice & { shape: number[] };
      params[name] = fromArray(slice(p), p.shape, { requiresGrad: true });
    }
    const [x, y] = batch();
    const { w1, b1, w2, b2, w3, b3 } = params as Record<(typeof NAMES)[number], Tensor>;
    const logits = linear(relu(linear(relu(linear(x, w1, b1)), w2, b2)), w3, b3);
    loss = neg(mean(gather(logSoftmax(logits, 1), 1, unsqueeze(y, 1))));
    loss.backward();
  });

  test('loss', () => {
    const got = loss.item();
    expect(Math.abs(got - golden.loss)).toBeLessThanOrEqual(LOSS_RTOL * Math.abs(golden.loss));
  });

  test.each(Object.keys(golden.grads))('gradient of %s, every element', (name) => {
    const expected = Array.from(slice(golden.grads[name] as Slice));
    const grad = params[name]!.grad;
    expect(grad).not.toBeNull();
    expectMatches(grad, { shape: [...params[name]!.shape], dtype: 'float32', data: expected }, `grad of ${name}`, toleranceFor(expected));
  });

  test.each(Object.keys(golden.gradSamples))('gradient of %s, a strided sample and every row sum', (name) => {
    const expected = Array.from(slice(golden.gradSamples[name] as Slice));
    const grad = params[name]!.grad!.data();
    const sample = Array.from({ length: expected.length }, (_, i) => grad[i * golden.gradStride] as number);
    const tol = toleranceFor(expected);
    expect(mismatches(sample, expected, false, tol)).toEqual([]);

    const [rows, cols] = params[name]!.shape as [number, number];
    const rowSums = Array.from({ length: rows }, (_, r) => {
      let s = 0;
      for (let c = 0; c < cols; c++) s += grad[r * cols + c] as number;
      return s;
    });
    const expectedSums = golden.gradRowSums[name] as number[];
    expect(mismatches(rowSums, expectedSums, false, toleranceFor(expectedSums))).toEqual([]);
  });
});

/** Loss and gradients of one step of the seed MLP, as bits (NaN-free here; a Buffer compares fast). */
function stepBits(loss: (logits: Tensor, y: Tensor) => Tensor): Buffer[] {
  const params = NAMES.map((name) => {
    const p = golden.params[name] as Slice & { shape: number[] };
    return fromArray(slice(p), p.shape, { requiresGrad: true });
  });
  const [w1, b1, w2, b2, w3, b3] = params as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
  const [x, y] = batch();
  const out = loss(linear(relu(linear(relu(linear(x, w1, b1)), w2, b2)), w3, b3), y);
  out.backward();
  const bits = (t: Tensor): Buffer => Buffer.from((t.data() as Float32Array).buffer);
  return [bits(out), ...params.map((p) => bits(p.grad as Tensor))];
}

function expectSameBits(a: Buffer[], b: Buffer[]): void {
  expect(a.map((bits, i) => bits.equals(b[i] as Buffer))).toEqual(a.map(() => true));
}

const gatherLoss = (logits: Tensor, y: Tensor): Tensor => neg(mean(gather(logSoftmax(logits, 1), 1, unsqueeze(y, 1))));

describe.each(['wasm', 'cpu'] as const)('the seed MLP step, fused, on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  test("Loom's host kernels and softmaxCrossEntropy change no bit of the loss or of any gradient", () => {
    const fused = stepBits((logits, y) => softmaxCrossEntropy(logits, y));
    setHostKernelsEnabled(false);
    try {
      // The tfjs kernels alone: the ops as they ran before the host kernels (and linear's transposed input gradient).
      expectSameBits(fused, stepBits(gatherLoss));
    } finally {
      setHostKernelsEnabled(true);
    }
    expectSameBits(fused, stepBits(gatherLoss));
  });
});
