/**
 * `softmaxCrossEntropy` gives the numbers of the composition it fuses (logSoftmax,
 * gather, mul by the unit weights, neg, sum, div: nn's crossEntropy for class indices),
 * bit for bit, forward and backward, with the host kernels and with the tfjs
 * fallback; PyTorch's own values are checked by nn's loss goldens, which now run it.
 */
import { ArgumentError, DTypeError, ShapeError, fromArray, logSoftmax, manualSeed, memoryStats, noGrad, randint, randn, scope, setBackend, softmaxCrossEntropy, tensor, type Tensor } from '../index';
import { setHostKernelsEnabled } from '../kernels/host-kernel';

type Reduction = 'mean' | 'sum' | 'none';

/** nn's crossEntropy for class indices without weight, smoothing or ignored targets, op by op. */
function composite(logits: Tensor, target: Tensor, reduction: Reduction): Tensor {
  const [n] = logits.shape as [number];
  const picked = logSoftmax(logits, 1).gather(1, target.reshape([n, 1])).reshape([n]);
  const losses = picked.mul(fromArray(new Float32Array(n).fill(1), [n])).neg();
  if (reduction === 'none') return losses;
  if (reduction === 'sum') return losses.sum();
  return losses.sum().div(Math.fround(n));
}

/** Loss and input gradient (NaN shown as one value: see host-kernel.ts). */
function run(loss: (x: Tensor) => Tensor, logits: Tensor, upstream: Tensor): { loss: unknown[]; grad: unknown[] } {
  const x = logits.detach().requiresGrad_();
  const out = loss(x);
  out.backward(upstream);
  const bits = (t: Tensor): unknown[] => {
    const v = t.data() as Float32Array;
    return Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length), (b, i) => (Number.isNaN(v[i]) ? 'NaN' : b));
  };
  const result = { loss: bits(out), grad: bits(x.grad as Tensor) };
  x.grad?.dispose();
  return result;
}

const CASES: [number, number][] = [[64, 10], [37, 13], [1, 1], [100, 3], [5, 300]];

describe.each(['wasm', 'cpu'] as const)('softmaxCrossEntropy on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  describe.each([true, false])('host kernels %p', (hostKernels) => {
    beforeAll(() => setHostKernelsEnabled(hostKernels));
    afterAll(() => setHostKernelsEnabled(true));

    test.each(CASES.flatMap(([n, c]) => (['mean', 'sum', 'none'] as const).map((r) => [n, c, r] as const)))(
      '[%d,%d] %s: the composition, bit for bit',
      (n, c, reduction) => {
        scope(() => {
          manualSeed(n * 1000 + c);
          const logits = randn([n, c]).mul(6);
          const target = randint(0, c, [n], { dtype: 'int32' });
          const upstream = reduction === 'none' ? randn([n]) : tensor(0.7);
          const fused = run((x) => softmaxCrossEntropy(x, target, { reduction }), logits, upstream);
          setHostKernelsEnabled(false);
          const reference = run((x) => composite(x, target, reduction), logits, upstream);
          setHostKernelsEnabled(hostKernels);
          expect(fused).toEqual(reference);
        });
      },
    );

    test('extreme logits: -inf and huge values give the composition too', () => {
      scope(() => {
        const logits = tensor([[-Infinity, 0, 1e30], [3, -1e30, 2], [0, 0, 0]]);
        const target = tensor([0, 1, 2], { dtype: 'int32' });
        const fused = run((x) => softmaxCrossEntropy(x, target), logits, tensor(1));
        setHostKernelsEnabled(false);
        const reference = run((x) => composite(x, target, 'mean'), logits, tensor(1));
        setHostKernelsEnabled(hostKernels);
        expect(fused).toEqual(reference);
      });
    });

    test('a target out of [0, C) throws, naming it, and leaves nothing behind', () => {
      const before = memoryStats().tfjsTensors;
      const logits = randn([4, 3]).keep();
      for (const bad of [3, -100, -1]) {
        const target = tensor([0, 1, bad, 2], { dtype: 'int32' });
        expect(() => softmaxCrossEntropy(logits, target)).toThrow(ArgumentError);
        expect(() => softmaxCrossEntropy(logits, target)).toThrow(new RegExp(`target ${bad} \\(at position 2\\) is out of bounds for 3 classes`));
        target.dispose();
      }
      logits.dispose();
      expect(memoryStats().tfjsTensors).toBeLessThanOrEqual(before);
    });
  });

  test('records nothing under noGrad and releases its saved values with the graph', () => {
    const before = memoryStats().tfjsTensors;
    scope(() => {
      const logits = randn([8, 5], { requiresGrad: true });
      const target = randint(0, 5, [8], { dtype: 'int32' });
      expect(noGrad(() => softmaxCrossEntropy(logits, target)).requiresGrad).toBe(false);
      const loss = softmaxCrossEntropy(logits, target);
      expect(loss.gradFnName).toBe('<softmaxCrossEntropyBackward>');
      loss.backward();
      logits.grad?.dispose();
    });
    expect(memoryStats().tfjsTensors).toBe(before);
  });

  test('checks its arguments', () => {
    scope(() => {
      const logits = randn([4, 3]);
      const target = tensor([0, 1, 2, 0], { dtype: 'int32' });
      expect(() => softmaxCrossEntropy(logits, target.float())).toThrow(DTypeError);
      expect(() => softmaxCrossEntropy(logits.int(), target)).toThrow(DTypeError);
      expect(() => softmaxCrossEntropy(logits.reshape([12]), target)).toThrow(ShapeError);
      expect(() => softmaxCrossEntropy(logits, target.reshape([2, 2]))).toThrow(/expected target of shape \[4\]/);
      expect(() => softmaxCrossEntropy(logits, target, { reduction: 'avg' as Reduction })).toThrow(ArgumentError);
    });
  });
});
