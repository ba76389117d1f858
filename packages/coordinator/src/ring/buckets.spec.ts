import { bucketArray, planBuckets, unpackBucket } from './buckets';

describe('planBuckets', () => {
  test('first bucket at its own cap, then the regular cap, across buffer boundaries', () => {
    const buffers: Float32Array[] = [new Float32Array(5), new Float32Array(0), new Float32Array(7)];
    const plan = planBuckets(buffers, 3, 4);
    expect(plan.map((b) => b.length)).toEqual([3, 4, 4, 1]);
    expect(plan[1]?.pieces.map((p) => [buffers.indexOf(p.buffer), p.start, p.end])).toEqual([[0, 3, 5], [2, 0, 2]]);
  });

  test('nothing to reduce gives no bucket', () => {
    expect(planBuckets([new Float32Array(0)], 4, 4)).toEqual([]);
  });

  test('a one-piece bucket is a view; a packed one round-trips', () => {
    const a = new Float32Array([1, 2, 3]);
    const b = new Float32Array([4, 5]);
    const [single] = planBuckets([a], 8, 8);
    const view = bucketArray(single!);
    view[0] = 10;
    expect(a[0]).toBe(10);
    const [packed] = planBuckets([a, b], 8, 8);
    const flat = bucketArray(packed!);
    expect([...flat]).toEqual([10, 2, 3, 4, 5]);
    flat.set([6, 7, 8, 9, 0]);
    unpackBucket(packed!, flat);
    expect([...a, ...b]).toEqual([6, 7, 8, 9, 0]);
  });
});
