/**
 * Test helpers: N rings in one process, connected over real TCP on 127.0.0.1
 * (ephemeral ports), and deterministic test data.
 */
import { Server, ServerCredentials, type ChannelOptions, type ServerWritableStream } from '@grpc/grpc-js';
import { RingAllReduce, loadProtocol, type RingAllReduceOptions } from '../src';

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

/** Encodes a `loom.v1.GradientChunk` from its fields (camelCase, as protobufjs names them). */
export function encodeChunk(value: object): Buffer {
  const t = loadProtocol().gradientChunk;
  return Buffer.from(t.encode(t.fromObject(value)).finish());
}

/**
 * The first chunk rank 1 of 2 receives in an all-reduce of one 10-element bucket:
 * reduce-scatter segment 0 = elements [0, 5), chunk 0 carrying 2 of them. The bad-input
 * tests change one field at a time (and add `membershipEpoch` and `data`).
 */
export const FIRST_CHUNK_OF_RANK_1 = { collectiveId: 0, step: 0, bucketId: 0, phase: 1, ringStep: 0, chunkIndex: 0, dtype: 1, bucketLength: 10, offset: 0, length: 2 } as const;

/**
 * A fake left neighbour: a Peer server whose Ring call streams `frames` (whatever the
 * current case says) after running `beforeFrames`, and then leaves the stream open.
 */
export interface FakeLeftNeighbour {
  readonly address: string;
  frames: Buffer[];
  beforeFrames: () => void;
  close(): Promise<void>;
}

/** Starts a {@link FakeLeftNeighbour} on an ephemeral port of 127.0.0.1. */
export async function fakeLeftNeighbour(serverOptions: ChannelOptions = {}): Promise<FakeLeftNeighbour> {
  const server = new Server(serverOptions);
  const fake = {
    address: '',
    frames: [] as Buffer[],
    beforeFrames: (): void => undefined,
    close: (): Promise<void> =>
      new Promise<void>((resolve) => server.tryShutdown(() => resolve())).then(() => server.forceShutdown()),
  };
  server.addService(loadProtocol().peerService, {
    Ring: (call: ServerWritableStream<Buffer, Buffer>) => {
      fake.beforeFrames();
      for (const f of fake.frames) call.write(f);
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  fake.address = `127.0.0.1:${port}`;
  return fake;
}

/**
 * Connects `target` as rank 1 of 2 at `membershipEpoch` with `fake` as its left
 * neighbour, all-reduces 10 elements, and returns the error that failed the collective
 * (null if none).
 */
export async function allReduceFedBy(fake: FakeLeftNeighbour, target: RingAllReduce, membershipEpoch: number): Promise<(Error & { code: string }) | null> {
  await target.connect({ rank: 1, worldSize: 2, membershipEpoch, left: fake.address });
  return target.allReduce(new Float32Array(10)).then(
    () => null,
    (e: Error & { code: string }) => e,
  );
}

/**
 * Re-forms a 2-rank ring of `rank0` and `rank1` at `membershipEpoch` and expects an
 * all-reduce of `length` elements to work: the workers survived the bad input.
 */
export async function expectReformedRingWorks(rank0: RingAllReduce, rank1: RingAllReduce, membershipEpoch: number, length = 10): Promise<void> {
  const [address0, address1] = [rank0.address as string, rank1.address as string];
  await Promise.all([rank0.connect({ rank: 0, worldSize: 2, membershipEpoch, left: address1 }), rank1.connect({ rank: 1, worldSize: 2, membershipEpoch, left: address0 })]);
  await expectIdenticalAllReduce([rank0, rank1], length, 1);
}
