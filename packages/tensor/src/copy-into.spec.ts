import { ShapeError, fromArray, ready, setBackend, tensor } from './index';

beforeAll(async () => {
  await ready();
});

describe.each(['wasm', 'cpu'] as const)('copyInto on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  test('writes kernel results and host values at the offset, leaving the rest', () => {
    const computed = tensor([[1, 2], [3, 4]]).mul(2); // on the backend
    const host = fromArray(new Float32Array([7, 8, 9]), [3]); // still on the host
    const out = new Float32Array(9).fill(-1);
    computed.copyInto(out, 1);
    host.copyInto(out, 5);
    expect(Array.from(out)).toEqual([-1, 2, 4, 6, 8, 7, 8, 9, -1]);
  });

  test('copies: later changes to the tensor do not reach the array', () => {
    const t = tensor([1, 2, 3]).add(0);
    const out = new Float32Array(3);
    t.copyInto(out);
    t.mul_(10);
    expect(Array.from(out)).toEqual([1, 2, 3]);
  });

  test('int32 tensors copy into Int32Array', () => {
    const out = new Int32Array(4);
    tensor([5, 6, 7], { dtype: 'int32' }).add(1).copyInto(out, 1);
    expect(Array.from(out)).toEqual([0, 6, 7, 8]);
  });

  test('refuses an array that is too short, naming the sizes', () => {
    expect(() => tensor([1, 2, 3]).copyInto(new Float32Array(4), 2)).toThrow(ShapeError);
    expect(() => tensor([1, 2, 3]).copyInto(new Float32Array(4), 2)).toThrow('3 values from offset 2 do not fit an array of 4');
  });
});
