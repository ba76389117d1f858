import { ShapeError, backendInfo, fromArray, ready, tensor } from '@loom/tensor';
import { recreateFromSpec } from '../worker-spec';
import { TensorDataset } from './tensor-dataset';

describe('TensorDataset', () => {
  const x = fromArray(Float32Array.from({ length: 12 }, (_, i) => i), [4, 3]);
  const y = fromArray(Int32Array.of(7, 8, 9, 10), [4]);

  it('returns the rows of every tensor, without a backend', () => {
    expect(backendInfo()).toBeNull();
    const ds = new TensorDataset(x, y);
    expect(ds.length).toBe(4);
    const [xi, yi] = ds.getItem(2);
    expect(xi!.shape).toEqual([3]);
    expect(xi!.dtype).toBe('float32');
    expect(Array.from(xi!.hostView()!)).toEqual([6, 7, 8]);
    expect(yi!.shape).toEqual([]);
    expect(yi!.dtype).toBe('int32');
    expect(Array.from(yi!.hostView()!)).toEqual([9]);
  });

  it('keeps its values in shared memory and sends them, not copies, to workers', () => {
    const ds = new TensorDataset(x, y);
    const spec = structuredClone(ds.workerSpec());
    const copy = recreateFromSpec(spec) as TensorDataset;
    expect(Array.from(copy.getItem(3)[1]!.hostView()!)).toEqual([10]);
    const [sentX] = spec.args[0] as { values: Float32Array }[];
    expect(Object.prototype.toString.call(sentX!.values.buffer)).toBe('[object SharedArrayBuffer]');
    sentX!.values[0] = 42; // the clone views the same memory as the original
    expect(Array.from(ds.getItem(0)[0]!.hostView()!)).toEqual([42, 1, 2]);
  });

  it('rows are fresh copies', () => {
    const ds = new TensorDataset(fromArray(Float32Array.of(1, 2), [2]));
    const row = ds.getItem(0)[0]!;
    (row.hostView() as Float32Array)[0] = 5;
    expect(Array.from(ds.getItem(0)[0]!.hostView()!)).toEqual([1]);
  });

  it('checks the first dims and the index', () => {
    expect(() => new TensorDataset(x, fromArray(Int32Array.of(1, 2, 3), [3]))).toThrow(
      'Size mismatch between tensors: tensors[0] has 4 rows (shape [4,3]) but tensors[1] has 3 (shape [3])',
    );
    expect(() => new TensorDataset()).toThrow('expected at least one tensor');
    expect(() => new TensorDataset(fromArray(Float32Array.of(1), []))).toThrow(ShapeError);
    expect(() => new TensorDataset(x).getItem(4)).toThrow('index 4 is out of range for 4 samples');
  });

  it('reads tensors that already live on a backend', async () => {
    await ready();
    const onBackend = tensor([[1, 2], [3, 4]]).add(1);
    expect(onBackend.hostView()).toBeNull();
    expect(Array.from(new TensorDataset(onBackend).getItem(1)[0]!.data())).toEqual([4, 5]);
  });
});
