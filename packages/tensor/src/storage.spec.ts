/**
 * Host storage: values written on demand (`Tensor.fromHostFill`, ToTensor's samples),
 * copied into a batch without being made first (`copyHostInto`), and tensors that
 * register for collection only once they hold backend memory.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Tensor, fromArray, ready, scope, TensorDisposedError, type TypedArray } from './index';

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
  // In a process of its own: in a jest worker, other test files and the runner share the
  // heap and the event loop, and the collection of one tensor could not be relied on.
  test('a host tensor that moved to the backend is released when it is collected', () => {
    const run = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, 'testing/collection-child.js')], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, LOOM_LOG: 'silent' },
    });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toMatchObject({ registered: 1, collected: true, released: true, leftOver: 0 });
  }, 60_000);
});
