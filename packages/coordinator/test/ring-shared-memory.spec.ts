/**
 * The same-host shared-memory payload path (NOTE [Shared-memory payloads] in
 * src/ring/shared-memory.ts) in real rings over 127.0.0.1: the same bits as the stream,
 * the bytes it carries, the directories it leaves (none), ranks that do not take part,
 * re-forming, LOOM_RING_SHARED_MEMORY, and chunks naming files that cannot be read.
 * Each ring gets its own temporary root instead of /dev/shm, so the test sees every
 * directory the ring makes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoordinatorConfigError, RingAllReduce, RingError, type RingAllReduceOptions } from '../src';
import { pidNamespace } from '../src/ring/shared-memory';
import { FIRST_CHUNK_OF_RANK_1, allReduceFedBy, bitEqual, closeAll, encodeChunk, expectIdenticalAllReduce, expectReformedRingWorks, fakeLeftNeighbour, makeRing, maxRelError, referenceSum, seeded } from './ring-harness';

/** float32 sums of N values in [-1, 1) stay within a few ulps of the exact sum (as in ring-all-reduce.spec.ts). */
const SUM_TOLERANCE = 1e-6;
/** Upper bound of a chunk's framing: header fields, protobuf tags, gRPC prefix (as in ring-all-reduce.spec.ts). */
const MAX_FRAMING_BYTES = 64;
/** Odd, and large enough that every segment of 2 or 3 ranks is over the 64 KiB file threshold. */
const LENGTH = 300_001;
/** One bucket holds the whole array, so that each segment is one transfer. */
const ONE_BUCKET = { bucketCapBytes: 2 * 1024 * 1024, firstBucketCapBytes: 2 * 1024 * 1024 };
const DIRECTORY = new RegExp(`^loom-ring-${pidNamespace()}-${process.pid}-[0-9a-f]{16}$`);

const roots: string[] = [];
const open: RingAllReduce[] = [];

function tempRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-ring-shm-'));
  roots.push(root);
  return root;
}

/** Ring directories under `root`. */
function ringDirectories(root: string): string[] {
  return fs.readdirSync(root).filter((name) => name.startsWith('loom-ring-'));
}

/** Starts rings (tracked for afterEach) through the harness. */
async function ring(worldSize: number, options: RingAllReduceOptions): Promise<RingAllReduce[]> {
  const rings = await makeRing(worldSize, options);
  open.push(...rings);
  return rings;
}

/** Like `makeRing`, with each rank's own options. */
async function ringOf(options: RingAllReduceOptions[]): Promise<RingAllReduce[]> {
  const worldSize = options.length;
  const rings = options.map((o, r) => new RingAllReduce({ workerId: `w-${r}`, ...o }));
  open.push(...rings);
  const addresses = await Promise.all(rings.map((r) => r.listen()));
  await Promise.all(rings.map((ring, rank) => ring.connect({ rank, worldSize, membershipEpoch: 1, left: addresses[(rank + worldSize - 1) % worldSize] as string })));
  return rings;
}

/** All-reduces `seeded(length, seed + r)` on each rank r; returns the results. */
async function reduceSeeded(rings: RingAllReduce[], length: number, seed: number): Promise<Float32Array[]> {
  const data = rings.map((_, r) => seeded(length, seed + r));
  await Promise.all(rings.map((ring, r) => ring.allReduce(data[r] as Float32Array)));
  return data;
}

function expectAllBitEqual(results: Float32Array[], expected: Float32Array): void {
  results.forEach((result, r) => expect({ rank: r, same: bitEqual(result, expected) }).toEqual({ rank: r, same: true }));
}

// A ring whose left neighbour never ends its stream waits CLOSE_TIMEOUT_MS (5 s) in close().
afterEach(async () => {
  await closeAll(open.splice(0));
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
}, 20_000);

/** Byte counters of a ring, to measure one collective. */
function counters(r: RingAllReduce): { sent: number; shm: number; received: number } {
  return { sent: r.bytesSent, shm: r.bytesSentSharedMemory, received: r.bytesReceived };
}

/**
 * A barrier on every rank: afterwards each rank's right neighbour has subscribed.
 * Chunks sent before that are held and go in the stream (the sender does not know
 * yet whether the neighbour shares the host), so byte counts are measured after it.
 */
async function settle(rings: RingAllReduce[]): Promise<void> {
  await Promise.all(rings.map((r) => r.barrier()));
}

describe.each([2, 3])('shared-memory payloads with %i ranks on one host', (n) => {
  test.each([
    ['1 MiB chunks (one file per segment)', {}],
    ['64 KiB chunks (many files per segment, short tails in the stream)', { chunkBytes: 64 * 1024 }],
  ])('%s: the same bits as the stream, the bytes bound holds, nothing left behind', async (_, chunking: RingAllReduceOptions) => {
    const root = tempRoot();
    const seed = 100 * n;
    const inputs = Array.from({ length: n }, (_, r) => seeded(LENGTH, seed + r));
    const reference = referenceSum(inputs);

    const viaStream = await ring(n, { ...ONE_BUCKET, ...chunking, sharedMemoryRoot: null });
    await settle(viaStream);
    const streamBefore = viaStream.map(counters);
    const streamed = await reduceSeeded(viaStream, LENGTH, seed);
    const streamSent = viaStream.map((r, i) => r.bytesSent - (streamBefore[i]?.sent as number));
    expect(viaStream.map((r) => r.bytesSentSharedMemory)).toEqual(Array(n).fill(0));
    await closeAll(viaStream);
    expect(ringDirectories(root)).toEqual([]);

    const rings = await ring(n, { ...ONE_BUCKET, ...chunking, sharedMemoryRoot: root });
    // One inbox per rank, holding only its nonce until payloads arrive.
    const directories = ringDirectories(root);
    expect(directories).toHaveLength(n);
    for (const d of directories) expect(d).toMatch(DIRECTORY);
    await settle(rings);
    const before = rings.map(counters);
    const results = await reduceSeeded(rings, LENGTH, seed);

    expectAllBitEqual(results, streamed[0] as Float32Array);
    expectAllBitEqual(streamed, streamed[0] as Float32Array);
    expect(maxRelError(results[0] as Float32Array, reference)).toBeLessThan(SUM_TOLERANCE);

    const chunkBytes = chunking.chunkBytes ?? 1024 * 1024;
    const payload = LENGTH * 4;
    const ideal = (2 * (n - 1) * payload) / n;
    const frames = 2 * (n - 1) * (Math.ceil(payload / n / chunkBytes) + 2) + 1;
    // Each segment's last chunk is shorter than chunkBytes; under 64 KiB it stays in the stream.
    const tails = chunkBytes === 1024 * 1024 ? 0 : 2 * (n - 1) * 64 * 1024;
    rings.forEach((r, i) => {
      const start = before[i] as ReturnType<typeof counters>;
      const sent = r.bytesSent - start.sent;
      const shm = r.bytesSentSharedMemory - start.shm;
      expect(sent).toBeLessThanOrEqual(ideal + 2 * (n - 1) * 4 + frames * MAX_FRAMING_BYTES);
      expect(sent).toBeGreaterThanOrEqual(ideal - 2 * (n - 1) * 4);
      expect(r.bytesReceived - start.received).toBeGreaterThanOrEqual(ideal - 2 * (n - 1) * 4);
      expect(shm).toBeGreaterThanOrEqual(ideal - 2 * (n - 1) * 4 - tails);
      // With 1 MiB chunks the stream carries only the chunk headers.
      expect(sent - shm).toBeLessThanOrEqual(tails + frames * MAX_FRAMING_BYTES);
      // Same data, same count as through the stream (up to the header bytes).
      expect(Math.abs(sent - (streamSent[i] as number))).toBeLessThanOrEqual(frames * MAX_FRAMING_BYTES);
    });

    // Every payload file was read and deleted once the all-reduce completed everywhere.
    for (const d of ringDirectories(root)) expect(fs.readdirSync(path.join(root, d))).toEqual(['nonce']);
    await closeAll(rings);
    expect(ringDirectories(root)).toEqual([]);
  });
});

describe('shared-memory payloads, mixed and changing rings', () => {
  test('a rank without shared memory: payloads to and from it stay in the stream, the rest use files', async () => {
    const root = tempRoot();
    const rings = await ringOf([{ sharedMemoryRoot: root }, { sharedMemoryRoot: null }, { sharedMemoryRoot: root }]);
    // Ranks 0 and 2 offer an inbox; rank 1 offers none.
    expect(ringDirectories(root)).toHaveLength(2);
    const results = await reduceSeeded(rings, LENGTH, 7);
    const streamed = await reduceSeeded(await ring(3, { sharedMemoryRoot: null }), LENGTH, 7);
    expectAllBitEqual(results, streamed[0] as Float32Array);
    // 0 -> 1: rank 1 offers nothing; 1 -> 2: rank 1 writes no files; 2 -> 0: both share the root.
    expect(rings[0]?.bytesSentSharedMemory).toBe(0);
    expect(rings[1]?.bytesSentSharedMemory).toBe(0);
    expect(rings[2]?.bytesSentSharedMemory).toBeGreaterThan(0);
    await closeAll(rings);
    expect(ringDirectories(root)).toEqual([]);
  });

  test('neighbours with different roots (as in two containers) fall back to the stream', async () => {
    const [a, b] = [tempRoot(), tempRoot()];
    const rings = await ringOf([{ sharedMemoryRoot: a }, { sharedMemoryRoot: b }]);
    await expectIdenticalAllReduce(rings, LENGTH, 3);
    expect(rings.map((r) => r.bytesSentSharedMemory)).toEqual([0, 0]);
    await closeAll(rings);
    expect([...ringDirectories(a), ...ringDirectories(b)]).toEqual([]);
  });

  /** Connects both ranks of a 2-rank ring at `membershipEpoch`, at the same time. */
  function reform(a: RingAllReduce, b: RingAllReduce, membershipEpoch: number): Promise<void[]> {
    return Promise.all([a.connect({ rank: 0, worldSize: 2, membershipEpoch, left: b.address as string }), b.connect({ rank: 1, worldSize: 2, membershipEpoch, left: a.address as string })]);
  }

  test('re-forming after a lost peer leaves only the new epoch directories, and they are used', async () => {
    const root = tempRoot();
    const [a, b] = await ring(2, { sharedMemoryRoot: root });
    await expectIdenticalAllReduce([a!, b!], LENGTH, 1);
    const before = ringDirectories(root).sort();
    expect(before).toHaveLength(2);
    expect(a!.bytesSentSharedMemory).toBeGreaterThan(0);
    // As in elastic recovery: the ring breaks (here rank 0 fails it) while rank 1 waits in
    // a collective, which fails once rank 1 has seen both of its streams end.
    const stale = b!.allReduce(new Float32Array(4)).then(() => null, (e: Error) => e);
    a!.fail(new RingError('RING_PEER_LOST', 'test: the ring broke'));
    expect(await stale).toMatchObject({ message: expect.stringMatching(/ring broke|ring stream ended|cancelled/) });

    await reform(a!, b!, 2);
    const after = ringDirectories(root).sort();
    expect(after).toHaveLength(2);
    expect(after.filter((d) => before.includes(d))).toEqual([]);

    await settle([a!, b!]);
    const sent = [a!.bytesSentSharedMemory, b!.bytesSentSharedMemory];
    await expectIdenticalAllReduce([a!, b!], LENGTH, 2);
    // Each rank sent at least one segment of the new epoch through its neighbour's new directory.
    expect(a!.bytesSentSharedMemory - (sent[0] as number)).toBeGreaterThanOrEqual(Math.floor(LENGTH / 2) * 4);
    expect(b!.bytesSentSharedMemory - (sent[1] as number)).toBeGreaterThanOrEqual(Math.floor(LENGTH / 2) * 4);
    expect(ringDirectories(root).sort()).toEqual(after);
    await closeAll([a!, b!]);
    expect(ringDirectories(root)).toEqual([]);
  });

  // A rank re-forming while its stream to the right is still attached: aborting that
  // stream reports a lost neighbour, which must not fail the new epoch (it did once).
  test('re-forming a healthy ring: the new epoch works, through the new directories', async () => {
    const root = tempRoot();
    const [a, b] = await ring(2, { sharedMemoryRoot: root });
    await expectIdenticalAllReduce([a!, b!], LENGTH, 1);
    await reform(a!, b!, 2);
    expect(ringDirectories(root)).toHaveLength(2);
    await expectIdenticalAllReduce([a!, b!], LENGTH, 2);
  });
});

describe('LOOM_RING_SHARED_MEMORY', () => {
  const saved = process.env['LOOM_RING_SHARED_MEMORY'];
  afterEach(() => {
    if (saved === undefined) delete process.env['LOOM_RING_SHARED_MEMORY'];
    else process.env['LOOM_RING_SHARED_MEMORY'] = saved;
  });

  /** This process's ring directories in the default root (none where /dev/shm is absent). */
  function ownDefaultDirectories(): string[] {
    try {
      return fs.readdirSync('/dev/shm').filter((name) => DIRECTORY.test(name));
    } catch {
      return [];
    }
  }

  test.each(['0', 'off'])('=%s keeps every payload in the stream for rings created without the option', async (value) => {
    process.env['LOOM_RING_SHARED_MEMORY'] = value;
    const existing = ownDefaultDirectories();
    const rings = await ring(2, {});
    expect(ownDefaultDirectories()).toEqual(existing);
    await expectIdenticalAllReduce(rings, LENGTH, 5);
    expect(rings.map((r) => r.bytesSentSharedMemory)).toEqual([0, 0]);
  });

  test('an explicit sharedMemoryRoot is used even when the variable is 0', async () => {
    process.env['LOOM_RING_SHARED_MEMORY'] = '0';
    const root = tempRoot();
    const rings = await ring(2, { sharedMemoryRoot: root });
    await expectIdenticalAllReduce(rings, LENGTH, 5);
    expect(rings[0]?.bytesSentSharedMemory).toBeGreaterThan(0);
  });

  test('any other value is refused by the constructor, naming the variable', () => {
    process.env['LOOM_RING_SHARED_MEMORY'] = 'bogus';
    const construct = (): RingAllReduce => new RingAllReduce();
    expect(construct).toThrow(CoordinatorConfigError);
    expect(construct).toThrow(/LOOM_RING_SHARED_MEMORY=bogus: expected 1\/on or 0\/off/);
  });
});

describe('chunks naming shared-memory files that cannot be used', () => {
  test('each fails the collective with RING_MALFORMED_CHUNK, not the worker', async () => {
    const root = tempRoot();
    const fake = await fakeLeftNeighbour();
    try {
      const rank0 = new RingAllReduce({ workerId: 'w-0', sharedMemoryRoot: root });
      const rank1 = new RingAllReduce({ workerId: 'w-1', sharedMemoryRoot: root, collectiveTimeoutMs: 5000 });
      const plain = new RingAllReduce({ workerId: 'w-plain', sharedMemoryRoot: null, collectiveTimeoutMs: 5000 });
      open.push(rank0, rank1, plain);
      await Promise.all([rank0.listen(), rank1.listen()]);
      /** rank 1's inbox directory of the current epoch. */
      const inbox = (): string => path.join(root, ringDirectories(root)[0] as string);
      const cases: [string, RingAllReduce, object, RegExp, (() => void)?][] = [
        ['a path as file name', rank1, { sharedMemoryFile: '../../etc/passwd' }, /shared-memory payload "\.\.\/\.\.\/etc\/passwd".*not a payload file name/],
        ['a missing file', rank1, { sharedMemoryFile: 'c7' }, /shared-memory payload "c7".*cannot open it/],
        ['a file of the wrong size', rank1, { sharedMemoryFile: 'c0' }, /shared-memory payload "c0".*holds 12 bytes, the chunk says 8/, () => fs.writeFileSync(path.join(inbox(), 'c0'), Buffer.alloc(12))],
        ['data and a file', rank1, { sharedMemoryFile: 'c0', data: Buffer.alloc(8) }, /carries both data and shared-memory file "c0"/, () => fs.writeFileSync(path.join(inbox(), 'c0'), Buffer.alloc(8))],
        ['a file to a rank that offered none', plain, { sharedMemoryFile: 'c0' }, /names shared-memory file "c0", but this rank offered no shared memory/],
      ];
      let epoch = 0;
      for (const [name, target, change, message, before] of cases) {
        epoch++;
        fake.frames = [encodeChunk({ ...FIRST_CHUNK_OF_RANK_1, membershipEpoch: epoch, ...change })];
        // The file is planted once the target's inbox of this epoch exists (its hello offered it).
        fake.beforeFrames = before ?? (() => undefined);
        const error = await allReduceFedBy(fake, target, epoch);
        expect({ name, code: error?.code, message: error?.message }).toEqual({ name, code: 'RING_MALFORMED_CHUNK', message: expect.stringMatching(message) });
      }
      // The worker survived every case: it re-forms with its real neighbour and uses files again.
      await expectReformedRingWorks(rank0, rank1, epoch + 1, LENGTH);
      expect(rank0.bytesSentSharedMemory).toBeGreaterThan(0);
      expect(rank1.bytesSentSharedMemory).toBeGreaterThan(0);
      await closeAll([rank0, rank1, plain]);
      expect(ringDirectories(root)).toEqual([]);
    } finally {
      await fake.close();
    }
  }, 30_000);
});
