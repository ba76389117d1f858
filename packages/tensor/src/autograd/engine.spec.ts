/**
 * The backward walk itself: gradient ownership when rules pass gradients through,
 * leaves that feed several ops (PyTorch's AccumulateGrad runs once, on the sum), and
 * retained gradients of non-leaves. Op gradients are checked against PyTorch in
 * ops/ops-golden.spec.ts.
 */
import { memoryStats, ready, scope, tensor, zeros, type Tensor } from '../index';

beforeAll(async () => {
  await ready();
});

describe('backward', () => {
  test('rules that pass the gradient through (add, clone, reshape) give each input its own copy', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    a.add(b).backward(tensor([1, 10]));
    expect(a.grad!.toArray()).toEqual([1, 10]);
    expect(b.grad!.toArray()).toEqual([1, 10]);
    // The two leaves' gradients are separate tensors: releasing one leaves the other.
    a.grad!.dispose();
    expect(b.grad!.toArray()).toEqual([1, 10]);

    const x = tensor([[1, 2]], { requiresGrad: true });
    x.clone().reshape([1, 2]).add(x).backward(tensor([[2, 3]]));
    expect(x.grad!.toArray()).toEqual([[4, 6]]);
  });

  test('the same tensor on both sides of an op gets both contributions', () => {
    const x = tensor([3], { requiresGrad: true });
    x.add(x).backward(tensor([1]));
    expect(x.grad!.toArray()).toEqual([2]);
    x.mul(x).backward(tensor([1]));
    expect(x.grad!.toArray()).toEqual([8]);
  });

  test('a leaf feeding several ops gets its gradient once, summed, and its hook runs once', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const seen: number[][] = [];
    w.registerPostAccumulateGradHook((p) => seen.push(p.grad!.toArray() as number[]));
    // Tied weights: w is used three times.
    w.mul(2).add(w.exp()).add(w).sum().backward();
    expect(seen).toHaveLength(1);
    expect(seen[0]![0]).toBeCloseTo(3 + Math.E, 5);
    expect(seen[0]![1]).toBeCloseTo(3 + Math.exp(2), 5);
    w.sum().backward();
    expect(seen).toHaveLength(2);
  });

  test('a retained non-leaf gradient is the sum over its consumers', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(3).retainGrad();
    h.mul(2).add(h).sum().backward();
    expect(h.grad!.toArray()).toEqual([3, 3]);
    expect(x.grad!.toArray()).toEqual([9, 9]);
  });

  test('inputs that do not require grad get none, and nothing leaks', () => {
    const w = tensor([1, 2], { requiresGrad: true }).keep();
    const c = zeros([2]).keep();
    scope(() => w.add(c).sum()); // moves both to the backend
    const before = memoryStats().tfjsTensors;
    scope(() => {
      w.add(c).mul(c.add(1)).sum().backward();
    });
    expect(c.grad).toBeNull();
    expect(memoryStats().tfjsTensors).toBe(before + 1); // w.grad
    (w.grad as Tensor).dispose();
  });
});
