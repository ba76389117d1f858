/**
 * A 100 MB gradient set between 2 peers over TCP with the default settings (1 MiB
 * chunks, PyTorch DDP's buckets): nothing depends on gRPC's 4 MB message limit.
 */
import { bitEqual, closeAll, makeRing, seeded } from './ring-harness';

const MIB = 1024 * 1024;
/** 100 MiB of float32 in four tensors of odd lengths, like a model's parameters. */
const LENGTHS = [7, 25 * MIB / 4 + 3, 50 * MIB / 4 - 1, 25 * MIB / 4 - 9];
const TOTAL_BYTES = LENGTHS.reduce((a, b) => a + b, 0) * 4;

test('100 MB gradient set, 2 peers: exact sum, identical replicas, bytes within 2(N-1)/N', async () => {
  const rings = await makeRing(2);
  try {
    const grads = rings.map((_, r) => LENGTHS.map((n, i) => seeded(n, 10 * r + i)));
    // The sum of two float32 values is exact in float64 and rounds once: check every element.
    const expected = LENGTHS.map((n, i) => {
      const a = grads[0]?.[i] as Float32Array;
      const b = grads[1]?.[i] as Float32Array;
      const out = new Float32Array(n);
      for (let k = 0; k < n; k++) out[k] = (a[k] as number) + (b[k] as number);
      return out;
    });
    const started = performance.now();
    await Promise.all(rings.map((ring, r) => ring.allReduce(grads[r] as Float32Array[])));
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(`100 MB all-reduce, 2 in-process peers: ${seconds.toFixed(2)} s\n`);
    LENGTHS.forEach((_, i) => {
      expect(bitEqual(grads[0]?.[i] as Float32Array, expected[i] as Float32Array)).toBe(true);
      expect(bitEqual(grads[1]?.[i] as Float32Array, expected[i] as Float32Array)).toBe(true);
    });
    for (const ring of rings) {
      // N = 2: each rank sends half the bytes twice (reduce-scatter, all-gather) = all of them, plus ~0.01% framing.
      expect(ring.bytesSent).toBeGreaterThanOrEqual(TOTAL_BYTES - 8);
      expect(ring.bytesSent).toBeLessThan(TOTAL_BYTES * 1.001);
    }
  } finally {
    await closeAll(rings);
  }
}, 120_000);
