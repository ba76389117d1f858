/**
 * `linear` with the host kernels (fused transpose and bias, host transposes, the input
 * gradient as `(W^T @ g^T)^T` on wasm) gives the bits it gives with tfjs's kernels
 * alone, for the shapes and options that take each path.
 */
import { linear, manualSeed, randn, scope, setBackend, type Tensor } from '../index';
import { setHostKernelsEnabled } from '../kernels/host-kernel';

interface Case {
  input: number[];
  out: number;
  bias: boolean;
  inputGrad: boolean;
}

const CASES: Case[] = [
  { input: [64, 512], out: 512, bias: true, inputGrad: true }, // the seed's hidden layer: transposed input gradient
  { input: [64, 512], out: 10, bias: true, inputGrad: true }, // the seed's head: direct input gradient
  { input: [3, 5, 7], out: 6, bias: true, inputGrad: true }, // batch dims: the reshaping path
  { input: [9, 33], out: 17, bias: false, inputGrad: true },
  { input: [4, 50], out: 30, bias: true, inputGrad: false }, // a first layer: no input gradient
  { input: [7], out: 3, bias: true, inputGrad: true },
];

/** Output, and the gradients of input, weight and bias, as bits (a Buffer compares fast). */
function run(c: Case, seed: number): Buffer[] {
  return scope(() => {
    manualSeed(seed);
    const x = randn(c.input, { requiresGrad: c.inputGrad });
    const w = randn([c.out, c.input[c.input.length - 1] as number], { requiresGrad: true });
    const b = c.bias ? randn([c.out], { requiresGrad: true }) : null;
    const y = linear(x, w, b);
    y.backward(randn(y.shape as number[]));
    const bits = (t: Tensor | null): Buffer => Buffer.from(t === null ? new ArrayBuffer(0) : (t.data() as Float32Array).buffer);
    const result = [bits(y), bits(x.grad), bits(w.grad), bits(b?.grad ?? null)];
    for (const t of [x, w, b]) t?.grad?.dispose();
    return result;
  });
}

describe.each(['wasm', 'cpu'] as const)('linear on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  test.each(CASES.map((c) => [JSON.stringify(c), c] as const))('%s: the same bits as with the tfjs kernels alone', (_name, c) => {
    const fast = run(c, 7);
    setHostKernelsEnabled(false);
    try {
      const reference = run(c, 7);
      fast.forEach((bits, i) => expect(bits.equals(reference[i] as Buffer)).toBe(true));
    } finally {
      setHostKernelsEnabled(true);
    }
  });
});
