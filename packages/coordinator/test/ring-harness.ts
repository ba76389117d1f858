/**
 * Test helpers: N rings in one process, connected over real TCP on 127.0.0.1
 * (ephemeral ports), and deterministic test data.
 */
import { RingAllReduce, type RingAllReduceOptions } from '../src';

/** Starts `worldSize` rings and connects them at membership epoch 1. */
export async function makeRing(worldSize: number, options: RingAllReduceOptions = {}): Promise<RingAllReduce[]> {
  const rings = Array.from({ length: worldSize }, (_, r) => new RingAllReduce({ workerId: `w-${r}`, ...options }));
  const addresses = await Promise.all(rings.map((r) => r.listen()));
  await Promise.all(rings.map((ring, rank) => ring.connect({ rank, worldSize, membershipEpoch: 1, left: addresses[(rank + worldSize - 1) % worldSize] as string })));
  return rings;
}

/** Closes every ring. */
export async function closeAll(rings: readonly RingAllReduce[]): Promise<void> {
  await Promise.all(rings.map((r) => r.close()));
}

/** A reproducible array of `n` floats for `seed` (xorshift32, values in [-1, 1)). */
export function seeded(n: number, seed: number): Float32Array {
  let x = (seed * 2654435761) >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x / 2 ** 31 - 1;
  }
  return out;
}

/** Element-wise sum of arrays in float64 (the reference the float32 ring is compared to). */
export function referenceSum(arrays: readonly Float32Array[], weights?: readonly number[]): Float64Array {
  const out = new Float64Array(arrays[0]?.length ?? 0);
  arrays.forEach((a, r) => {
    const w = weights?.[r] ?? 1;
    for (let i = 0; i < a.length; i++) out[i] = (out[i] as number) + Math.fround((a[i] as number) * w);
  });
  return out;
}

/** Largest |a - b| / max(1, |b|). */
export function maxRelError(a: Float32Array, b: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)) / Math.max(1, Math.abs(b[i] as number)));
  return worst;
}

/** Whether two float32 arrays hold the same bits. */
export function bitEqual(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Anything that all-reduces a buffer: a `RingAllReduce` or a joined `WorkerGroup`. */
interface AllReducer {
  allReduce(buffer: Float32Array): Promise<void>;
}

/**
 * All-reduces `seeded(length, firstSeed + r)` on each member r and expects every member
 * to end with the same bits: "the ring still works" after an injected fault. Returns
 * the reduced arrays.
 */
export async function expectIdenticalAllReduce(members: readonly AllReducer[], length: number, firstSeed = 1): Promise<Float32Array[]> {
  const data = members.map((_, r) => seeded(length, firstSeed + r));
  const before = data.map((d) => d.slice());
  await Promise.all(members.map((m, r) => m.allReduce(data[r] as Float32Array)));
  for (const d of data.slice(1)) expect(bitEqual(d, data[0] as Float32Array)).toBe(true);
  expect(maxRelError(data[0] as Float32Array, referenceSum(before))).toBeLessThan(1e-6);
  return data;
}
