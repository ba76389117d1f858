/**
 * Host storage: values written on demand (`Tensor.fromHostFill`, ToTensor's samples),
 * copied into a batch without being made first (`copyHostInto`), and tensors that
 * register for collection only once they hold backend memory.
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { Tensor, fromArray, memoryStats, ready, scope, tensor, TensorDisposedError, type TypedArray } from './index';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

beforeAll(() => ready());

/** A tensor of `[0, 1, ..., n-1] * scale` whose fill counts its calls. */
function counted(n: number, scale = 1): { t: Tensor; calls: () => number } {
  let calls = 0;
  const t = Tensor.fromHostFill(
    (out: TypedArray, offset: number) => {
      calls++;
      for (let i = 0; i < n; i++) out[offset + i] = i * scale;
    },
    [n],
    'float32',
  );
  return { t, calls: () => calls };
}

describe('values written on demand', () => {
  test('are written once, when first read, and read like any host values', () => {
    const { t, calls } = counted(4, 2);
    expect(calls()).toBe(0);
    expect(t.isOnHost).toBe(true);
    expect(Array.from(t.hostView() as Float32Array)).toEqual([0, 2, 4, 6]);
    expect(t.toArray()).toEqual([0, 2, 4, 6]);
    expect(t.add(1).toArray()).toEqual([1, 3, 5, 7]);
    expect(calls()).toBe(1);
    expect(t.isOnHost).toBe(false);
    t.dispose();
  });

  test('go straight into a batch with copyHostInto, without an array of their own', () => {
    const a = counted(3, 1);
    const b = counted(3, 10);
    const batch = new Float32Array(7).fill(-1);
    expect(a.t.copyHostInto(batch, 0)).toBe(true);
    expect(b.t.copyHostInto(batch, 3)).toBe(true);
    expect(Array.from(batch)).toEqual([0, 1, 2, 0, 10, 20, -1]);
    // Not made: a later read writes them (once) for itself.
    expect(a.t.hostView()).not.toBe(null);
    expect(a.calls()).toBe(2);
    a.t.dispose();
    b.t.dispose();
  });

  test('copyHostInto copies plain host values and refuses values on the backend', () => {
    const t = fromArray(new Float32Array([1, 2]), [2]);
    const out = new Float32Array(3);
    expect(t.copyHostInto(out, 1)).toBe(true);
    expect(Array.from(out)).toEqual([0, 1, 2]);
    t.add(0).dispose(); // moves t to the backend
    expect(t.isOnHost).toBe(false);
    expect(t.copyHostInto(out, 0)).toBe(false);
    t.dispose();
  });

  test('are released by scopes like any tensor', () => {
    let inner: Tensor | null = null;
    scope(() => {
      inner = counted(2).t;
    });
    expect((inner as Tensor | null)?.isDisposed).toBe(true);
    expect(() => (inner as Tensor | null)?.copyHostInto(new Float32Array(2), 0)).toThrow(TensorDisposedError);
  });
});

describe('collection of dropped tensors', () => {
  const nextJob = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const collect = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) {
      await nextJob();
      gc();
    }
    await nextJob();
  };

  test('a host tensor that moved to the backend is released when it is collected', async () => {
    await collect();
    const before = memoryStats().tfjsTensors;
    let backing: { isDisposed: boolean } | null = null;
    let dropped: WeakRef<Tensor> | null = null;
    (() => {
      const t = tensor([1, 2, 3]); // outside every scope: only the collector can release it
      t.add(1).dispose(); // its values move to the backend: it registers then
      backing = t.value('test');
      dropped = new WeakRef(t);
    })();
    expect(memoryStats().tfjsTensors).toBe(before + 1);
    // Finalizers run when V8 gets to them: on a loaded machine that can take more than
    // one collection, so collect until the backend value is released (or give up after
    // ~3 s). The check is on this tensor's own value, not on the process-wide count,
    // which other test files of the same jest worker may still move.
    for (let round = 0; round < 150 && !(backing as { isDisposed: boolean } | null)?.isDisposed; round++) {
      await collect();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect({ collected: (dropped as WeakRef<Tensor> | null)?.deref() === undefined, released: (backing as { isDisposed: boolean } | null)?.isDisposed }).toEqual({ collected: true, released: true });
  }, 15_000);
});
