/**
 * Ring collectives between in-process peers over real TCP on 127.0.0.1: sums against
 * a float64 reference, bit-identical replicas, weighted mode, bucketing, the bytes
 * each rank sends, broadcast, barrier, and the errors of mismatched collectives.
 */
import * as net from 'node:net';
import { ElasticError, RingAllReduce } from '../src';
import { bitEqual, closeAll, makeRing, maxRelError, referenceSum, seeded, expectIdenticalAllReduce } from './ring-harness';

/** float32 sums of N values in [-1, 1) stay within a few ulps of the exact sum. */
const SUM_TOLERANCE = 1e-6;
/** Upper bound of a chunk's framing: header fields, protobuf tags, gRPC prefix (measured: 20-40). */
const MAX_FRAMING_BYTES = 64;

/** Runs `allReduce` on every rank with that rank's data; returns the results. */
async function reduceAll(rings: RingAllReduce[], data: Float32Array[][], weights?: number[]): Promise<void> {
  await Promise.all(rings.map((ring, r) => ring.allReduce(data[r] as Float32Array[], { weight: weights?.[r] ?? 1 })));
}

describe.each([2, 3, 5])('ring all-reduce with %i peers', (n) => {
  let rings: RingAllReduce[];
  // Tiny chunks and buckets so that short arrays still take many chunks and buckets.
  beforeAll(async () => {
    rings = await makeRing(n, { chunkBytes: 12, firstBucketCapBytes: 40, bucketCapBytes: 100 });
  });
  afterAll(() => closeAll(rings));

  test.each([...new Set([0, 1, n - 1, n + 1, 7, 1001])])('length %i: correct, bit-identical on every rank', async (length) => {
    const data = rings.map((_, r) => [seeded(length, 10 * n + r)]);
    const reference = referenceSum(data.map((d) => d[0] as Float32Array));
    await reduceAll(rings, data);
    for (let r = 0; r < n; r++) {
      expect(maxRelError(data[r]?.[0] as Float32Array, reference)).toBeLessThan(SUM_TOLERANCE);
      expect(bitEqual(data[r]?.[0] as Float32Array, data[0]?.[0] as Float32Array)).toBe(true);
    }
  });

  test('many buffers of odd lengths (zero-length included) across many buckets', async () => {
    const lengths = [5, 0, 33, 1, 0, 97, 2, 64];
    const data = rings.map((_, r) => lengths.map((len, i) => seeded(len, 1000 * r + i)));
    const references = lengths.map((_, i) => referenceSum(data.map((d) => d[i] as Float32Array)));
    await reduceAll(rings, data);
    lengths.forEach((_, i) => {
      for (let r = 0; r < n; r++) {
        expect(maxRelError(data[r]?.[i] as Float32Array, references[i] as Float64Array)).toBeLessThan(SUM_TOLERANCE);
        expect(bitEqual(data[r]?.[i] as Float32Array, data[0]?.[i] as Float32Array)).toBe(true);
      }
    });
  });

  test('weighted: each rank contributes grad * (its shard / global batch)', async () => {
    // A global batch of 64 split as evenly as possible: the single-process mean gradient.
    const shards = Array.from({ length: n }, (_, r) => Math.floor((64 * (r + 1)) / n) - Math.floor((64 * r) / n));
    const weights = shards.map((s) => s / 64);
    const data = rings.map((_, r) => [seeded(301, 77 + r)]);
    const reference = referenceSum(data.map((d) => d[0] as Float32Array), weights);
    await reduceAll(rings, data, weights);
    for (let r = 0; r < n; r++) {
      expect(maxRelError(data[r]?.[0] as Float32Array, reference)).toBeLessThan(SUM_TOLERANCE);
      expect(bitEqual(data[r]?.[0] as Float32Array, data[0]?.[0] as Float32Array)).toBe(true);
    }
  });

  test('buckets launched in a different order on each rank, as backward produces them', async () => {
    const lengths = [10, 3, 25];
    const data = rings.map((_, r) => lengths.map((len, i) => seeded(len, 500 + 10 * r + i)));
    const references = lengths.map((_, i) => referenceSum(data.map((d) => d[i] as Float32Array)));
    await Promise.all(
      rings.map(async (ring, r) => {
        const handle = ring.startAllReduce(lengths, { step: 5 });
        const order = r % 2 === 0 ? [0, 1, 2] : [2, 0, 1];
        const done: Promise<void>[] = [];
        for (const id of order) {
          done.push(handle.reduceBucket(id, data[r]?.[id] as Float32Array));
          await new Promise((resolve) => setTimeout(resolve, 5 * r));
        }
        await Promise.all(done);
        await handle.wait();
      }),
    );
    lengths.forEach((_, i) => expect(maxRelError(data[n - 1]?.[i] as Float32Array, references[i] as Float64Array)).toBeLessThan(SUM_TOLERANCE));
  });

  test('broadcast from every root, odd lengths', async () => {
    for (let root = 0; root < n; root++) {
      for (const length of [0, 1, 1001]) {
        const buffers = rings.map((_, r) => (r === root ? seeded(length, 9 + root) : new Float32Array(length)));
        await Promise.all(rings.map((ring, r) => ring.broadcast(buffers[r] as Float32Array, root)));
        for (const b of buffers) expect(bitEqual(b, buffers[root] as Float32Array)).toBe(true);
      }
    }
  });

  test('collectives issued back to back without awaiting are matched by order', async () => {
    const params = rings.map((_, r) => (r === 0 ? seeded(50, 1) : new Float32Array(50)));
    const grads = rings.map((_, r) => seeded(20, 40 + r));
    const reference = referenceSum(grads);
    await Promise.all(rings.map((ring, r) => Promise.all([ring.broadcast(params[r] as Float32Array, 0), ring.allReduce(grads[r] as Float32Array), ring.barrier()])));
    for (let r = 0; r < n; r++) {
      expect(bitEqual(params[r] as Float32Array, params[0] as Float32Array)).toBe(true);
      expect(maxRelError(grads[r] as Float32Array, reference)).toBeLessThan(SUM_TOLERANCE);
    }
  });

  test('each rank sends at most 2(N-1)/N of the bytes, plus framing', async () => {
    const big = await makeRing(n); // default 1 MiB chunks and buckets
    try {
      const length = 1_000_003; // not divisible by N
      const payload = length * 4;
      await Promise.all(big.map((ring, r) => ring.allReduce(seeded(length, r))));
      const ideal = (2 * (n - 1) * payload) / n;
      // Segments differ by one element at most; each of the 2(N-1) segments a rank
      // sends goes out in chunks of at most 1 MiB (buckets: 1 MiB, then 25 MiB).
      const frames = 2 * (n - 1) * (Math.ceil(payload / n / (1024 * 1024)) + 2) + 1;
      for (const ring of big) {
        expect(ring.bytesSent).toBeLessThanOrEqual(ideal + 2 * (n - 1) * 4 + frames * MAX_FRAMING_BYTES);
        expect(ring.bytesSent).toBeGreaterThanOrEqual(ideal - 2 * (n - 1) * 4);
        expect(ring.bytesReceived).toBeGreaterThanOrEqual(ideal - 2 * (n - 1) * 4);
      }
    } finally {
      await closeAll(big);
    }
  });
});

describe('ring errors', () => {
  test('a one-rank ring reduces locally (weight applied) and sends nothing', async () => {
    const [ring] = await makeRing(1);
    const data = Float32Array.from([1, 2, 3]);
    await ring!.allReduce(data, { weight: 0.5 });
    await ring!.broadcast(data, 0);
    await ring!.barrier();
    expect([...data]).toEqual([0.5, 1, 1.5]);
    expect(ring!.bytesSent).toBe(0);
    await ring!.close();
  });

  test('broadcast on one rank, all-reduce on the other: both fail with a clear error', async () => {
    const [a, b] = await makeRing(2);
    // The root's broadcast completes once sent; each rank refuses what its left
    // neighbour sends and says why.
    const [, reduce] = await Promise.allSettled([a!.broadcast(new Float32Array(4), 0), b!.allReduce(new Float32Array(4))]);
    expect(reduce).toMatchObject({ status: 'rejected', reason: { code: 'RING_COLLECTIVE_MISMATCH', message: expect.stringMatching(/the left neighbour runs phase BROADCAST, this rank runs a all-reduce\nhelp: every rank must issue the same collectives/) } });
    await expect(a!.barrier()).rejects.toThrow(/a REDUCE_SCATTER chunk for collective 0, which already finished on rank 0|ring stream ended/);
    await closeAll([a!, b!]);
  });

  test('ranks at different steps are refused', async () => {
    const [a, b] = await makeRing(2);
    const results = await Promise.allSettled([a!.allReduce(new Float32Array(8), { step: 10 }), b!.allReduce(new Float32Array(8), { step: 11 })]);
    const reasons = results.map((r) => (r as PromiseRejectedResult).reason);
    expect(reasons.some((e) => /left neighbour is at step 1[01], this rank at step 1[01]/.test(e.message) && e.code === 'RING_COLLECTIVE_MISMATCH')).toBe(true);
    await closeAll([a!, b!]);
  });

  test('different buffer sizes are refused', async () => {
    const [a, b] = await makeRing(2);
    const results = await Promise.allSettled([a!.allReduce(new Float32Array(8)), b!.allReduce(new Float32Array(9))]);
    expect(results.some((r) => /bucket_length is (8|9) on the left neighbour and (8|9) on this rank/.test(String((r as PromiseRejectedResult).reason?.message)))).toBe(true);
    await closeAll([a!, b!]);
  });

  test('a rank that never joins the collective: RING_TIMEOUT naming what is missing', async () => {
    const [a, b] = await makeRing(2, { collectiveTimeoutMs: 200 });
    await expect(a!.allReduce(new Float32Array(8))).rejects.toMatchObject({
      code: 'RING_TIMEOUT',
      message: expect.stringMatching(/collective 0 \(all-reduce, step 0, rank 0 of 2\) timed out after 200 ms: bucket 0 waits for REDUCE_SCATTER step 0 \(elements \[4, 8\)\) from rank 1/),
    });
    await closeAll([a!, b!]);
  });

  test('chunks received too far ahead are refused: RING_BUFFER_FULL', async () => {
    const [a, b] = await makeRing(2, { maxBufferedBytes: 1024 });
    // Rank 1 has not started the all-reduce: rank 0's 20 kB wait in rank 1's buffer.
    await expect(a!.allReduce(new Float32Array(10_000))).rejects.toThrow();
    await expect(b!.allReduce(new Float32Array(10_000))).rejects.toMatchObject({ code: 'RING_BUFFER_FULL', message: expect.stringMatching(/bytes received ahead of this rank, over maxBufferedBytes 1024/) });
    await closeAll([a!, b!]);
  });

  test('re-forming at a new membership epoch: a neighbour ahead is held, old collectives fail', async () => {
    const [a, b] = await makeRing(2);
    const stale = a!.allReduce(new Float32Array(4)).then(() => null, (e: Error & { code: string }) => e);
    // Rank 1 hears of epoch 2 first; its call to rank 0 waits until rank 0 re-forms too.
    const bAddress = b!.address as string;
    const aAddress = a!.address as string;
    const reconnectB = b!.connect({ rank: 1, worldSize: 2, membershipEpoch: 2, left: aAddress });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await a!.connect({ rank: 0, worldSize: 2, membershipEpoch: 2, left: bAddress });
    await reconnectB;
    // Epoch 1's collective fails: closed by the re-forming, or refused by a rank already at epoch 2.
    expect(await stale).toMatchObject({ code: expect.stringMatching(/^RING_(CLOSED|BAD_HELLO)$/), message: expect.stringMatching(/epoch 2/) });
    await expectIdenticalAllReduce([a!, b!], 33, 1);
    await closeAll([a!, b!]);
  });

  test('failing the ring while it connects to a dead left neighbour ends the connect at once, not at the connect timeout', async () => {
    // A second death during a recovery: the neighbour this rank connects to at the new
    // epoch is gone, and a newer membership fails the ring. connect() must give way to
    // it (RING_CLOSED, which the recovery answers by taking the newer membership).
    const dead = await new Promise<string>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(`127.0.0.1:${port}`));
      });
    });
    const ring = new RingAllReduce({ workerId: 'survivor', connectTimeoutMs: 10 * 60_000 });
    await ring.listen();
    const connecting = ring.connect({ rank: 1, worldSize: 2, membershipEpoch: 2, left: dead }).then(() => null, (e: Error & { code: string }) => e);
    await new Promise((resolve) => setTimeout(resolve, 100));
    ring.fail(new ElasticError('MEMBERSHIP_CHANGED', 'membership changed to epoch 3'));
    expect(await connecting).toMatchObject({ code: 'RING_CLOSED', message: expect.stringMatching(/stopped connecting to the left neighbour at 127\.0\.0\.1:\d+: the ring was stopped or re-formed/) });
    await ring.close();
  });

  test('options are checked', () => {
    expect(() => new RingAllReduce({ chunkBytes: 6 })).toThrow(/chunkBytes must be a multiple of 4, got 6/);
    expect(() => new RingAllReduce({ chunkBytes: 8 * 1024 * 1024 })).toThrow(/exceeds maxMessageBytes 4194304/);
    expect(() => new RingAllReduce({ collectiveTimeoutMs: 0 })).toThrow(/collectiveTimeoutMs must be an integer/);
  });

  test('using the ring before connect() says so', async () => {
    const ring = new RingAllReduce();
    expect(() => ring.startAllReduce([1])).toThrow(/the ring is not connected\nhelp: call listen\(\) and connect\(topology\) first/);
    await ring.close();
  });
});
