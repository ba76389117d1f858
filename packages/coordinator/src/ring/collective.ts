/**
 * One collective (an all-reduce of several buckets, or a broadcast) on one rank: what
 * it sends when a bucket is launched, how each chunk from the left neighbour is
 * checked, applied and forwarded, and when each bucket is complete. The ring order is
 * NOTE [Rendezvous and ring] in `ring-schedule.ts`.
 */
import { RingError } from '../errors';
import { readFloat32, type ChunkHeader, type RingChunk } from './chunk-codec';
import { Phase, PHASE_NAMES, allReduceTransfers, chunkRanges, hopsFromRoot, nextHop, segmentBounds, transferIndex, type ExpectedTransfer } from './ring-schedule';

/** What a collective needs from its ring. */
export interface CollectiveContext {
  rank: number;
  worldSize: number;
  membershipEpoch: number;
  chunkElements: number;
  /** Encodes and writes one chunk to the right neighbour (copying `values`). */
  send(header: ChunkHeader, values: Float32Array): void;
  /** Reusable aligned memory for misaligned payloads. */
  scratch: { buffer: ArrayBuffer };
  /** Accounts bytes held in buckets' pending queues (positive) or released (negative). */
  buffered(bytes: number): void;
}

/** The two kinds of collectives on the wire. */
export type CollectiveKind = 'all-reduce' | 'broadcast';

interface Cursor {
  /** Next expected element offset. */
  next: number;
  /** Chunks accepted so far. */
  chunks: number;
  /** Chunks accepted and applied. */
  applied: number;
  complete: boolean;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
  settled: boolean;
}

/*
 * NOTE [Completion after flush]
 * =============================
 * A bucket completes when the last chunk it needs arrives; the same I/O callback has
 * often just forwarded other chunks to the right neighbour (all-gather hops, or another
 * bucket's). gRPC queues those writes, and Node's HTTP/2 session hands them to the
 * socket in the event loop's check phase, after the callback and its microtasks. If
 * the caller's continuation ran as a microtask, a training loop would go straight into
 * its next forward/backward (synchronous wasm, ~10 ms) with those chunks still queued,
 * and the neighbour would wait for them as long: each step paid the compute time of
 * the other rank on top of its own (tools/bench/quickstart-epoch.js: sync wait ~19 ms
 * per step for 2.7 MB). Resolving with setImmediate runs the caller after the flush.
 *
 *   poll:  chunk in -> add -> write(forward) [queued]  -> last chunk in -> bucket done
 *   check: HTTP/2 flush (native immediate)  ->  resolve (setImmediate)  -> caller runs
 */
function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // The caller may await only the collective as a whole; a bucket's rejection is
  // reported there, not as an unhandled rejection.
  promise.catch(() => undefined);
  // Settled at once for the ring's bookkeeping, but resolved for the caller only at the
  // end of this event-loop turn: see NOTE [Completion after flush].
  const d: Deferred = { promise, resolve: () => ((d.settled = true), setImmediate(resolve)), reject: (e) => ((d.settled = true), reject(e)), settled: false };
  return d;
}

class BucketState {
  data: Float32Array | null = null;
  readonly transfers: ExpectedTransfer[];
  readonly cursors: Cursor[];
  readonly pending: RingChunk[] = [];
  remaining: number;
  readonly done = deferred();

  constructor(
    readonly id: number,
    readonly length: number,
    transfers: ExpectedTransfer[],
  ) {
    this.transfers = transfers;
    this.cursors = transfers.map((t) => ({ next: t.start, chunks: 0, applied: 0, complete: false }));
    this.remaining = transfers.length;
  }
}

/**
 * `dst[offset + i] += src[i]` for `i < length`. Its own small function over plain
 * indices (no subarray), so that V8 compiles one tight loop for it: inlined in
 * `apply` the sum ran at ~3.5 ns per element, here ~1 ns (profiled, tools/bench).
 * `src + dst` and `dst + src` round alike (IEEE addition commutes), so the ring's
 * bit-identical results do not depend on the operand order.
 */
function addInto(dst: Float32Array, offset: number, src: Float32Array, length: number): void {
  for (let i = 0; i < length; i++) dst[offset + i] = (dst[offset + i] as number) + (src[i] as number);
}

/** `data[i] *= weight`; its own small function for the same reason as {@link addInto}. */
function scaleInPlace(data: Float32Array, weight: number): void {
  for (let i = 0; i < data.length; i++) data[i] = (data[i] as number) * weight;
}

/**
 * A collective in flight on this rank. Chunks may arrive before the bucket they belong
 * to is launched here; they are checked at once and applied at launch.
 *
 * @example
 * ```ts
 * const c = new Collective(ctx, 7, 'all-reduce', [1000, 5], { step: 3 });
 * c.launch(0, bucket0); c.launch(1, bucket1); await c.done();
 * ```
 */
export class Collective {
  private readonly buckets: BucketState[];
  private launched = 0;

  constructor(
    private readonly ctx: CollectiveContext,
    readonly id: number,
    readonly kind: CollectiveKind,
    bucketLengths: readonly number[],
    readonly options: { step: number; root?: number },
  ) {
    const { rank, worldSize } = ctx;
    this.buckets = bucketLengths.map((length, id) => {
      if (kind === 'all-reduce') return new BucketState(id, length, allReduceTransfers(length, rank, worldSize));
      const hops = hopsFromRoot(rank, options.root ?? 0, worldSize);
      const transfers = hops === 0 ? [] : [{ phase: Phase.Broadcast, ringStep: hops - 1, segment: 0, start: 0, end: length }];
      return new BucketState(id, length, transfers);
    });
  }

  /** Number of buckets. */
  get bucketCount(): number {
    return this.buckets.length;
  }

  /** Resolves when bucket `id` holds its final values on this rank. */
  bucketDone(id: number): Promise<void> {
    return this.bucket(id).done.promise;
  }

  /** Resolves when every bucket is done. */
  async done(): Promise<void> {
    await Promise.all(this.buckets.map((b) => b.done.promise));
  }

  /** Whether every bucket is done. */
  get settled(): boolean {
    return this.buckets.every((b) => b.done.settled);
  }

  private bucket(id: number): BucketState {
    const b = this.buckets[id];
    if (!b) throw new RingError('RING_COLLECTIVE_MISMATCH', `${this.describe()}: bucket ${id} does not exist (the collective has ${this.buckets.length} bucket(s))`);
    return b;
  }

  /** Names the collective in messages. */
  describe(): string {
    return `collective ${this.id} (${this.kind}, step ${this.options.step}, rank ${this.ctx.rank} of ${this.ctx.worldSize})`;
  }

  /**
   * Starts bucket `id` with this rank's values (scaled in place by `weight` for an
   * all-reduce): sends what this rank contributes first, then applies the chunks that
   * arrived early.
   */
  launch(id: number, data: Float32Array, weight = 1): void {
    const b = this.bucket(id);
    if (b.data) throw new RingError('RING_COLLECTIVE_MISMATCH', `${this.describe()}: bucket ${id} was launched twice`);
    if (data.length !== b.length) {
      throw new RingError('RING_COLLECTIVE_MISMATCH', `${this.describe()}: bucket ${id} was declared with ${b.length} elements but launched with ${data.length}`);
    }
    b.data = data;
    this.launched++;
    const { rank, worldSize } = this.ctx;
    if (this.kind === 'all-reduce') {
      if (weight !== 1) scaleInPlace(data, weight);
      if (worldSize > 1) {
        const [start, end] = segmentBounds(b.length, worldSize, rank);
        this.sendRange(b, Phase.ReduceScatter, 0, start, end);
      }
    } else if (hopsFromRoot(rank, this.options.root ?? 0, worldSize) === 0 && worldSize > 1) {
      this.sendRange(b, Phase.Broadcast, 0, 0, b.length);
    }
    const early = b.pending.splice(0);
    for (const chunk of early) {
      this.ctx.buffered(-chunk.data.byteLength);
      this.apply(b, chunk);
    }
    this.checkDone(b);
  }

  private sendRange(b: BucketState, phase: Phase, ringStep: number, start: number, end: number): void {
    const data = b.data as Float32Array;
    chunkRanges(start, end, this.ctx.chunkElements).forEach((r, chunkIndex) => {
      this.ctx.send(this.header(b, phase, ringStep, chunkIndex, r.offset), data.subarray(r.offset, r.offset + r.length));
    });
  }

  private header(b: BucketState, phase: Phase, ringStep: number, chunkIndex: number, offset: number): ChunkHeader {
    return {
      membershipEpoch: this.ctx.membershipEpoch,
      collectiveId: this.id,
      step: this.options.step,
      bucketId: b.id,
      phase,
      ringStep,
      chunkIndex,
      bucketLength: b.length,
      offset,
      rootRank: this.options.root ?? 0,
    };
  }

  /**
   * Checks a chunk from the left neighbour against what this rank expects next, then
   * applies it (or keeps it until its bucket is launched). Throws `RingError` naming
   * the field, the value seen and the value expected.
   */
  receive(chunk: RingChunk): void {
    const where = `${this.describe()}: chunk ${chunk.chunkIndex} of bucket ${chunk.bucketId}`;
    const wantPhase = this.kind === 'broadcast' ? [Phase.Broadcast] : [Phase.ReduceScatter, Phase.AllGather];
    if (!wantPhase.includes(chunk.phase)) {
      throw new RingError(
        'RING_COLLECTIVE_MISMATCH',
        `${where}: the left neighbour runs phase ${PHASE_NAMES[chunk.phase] ?? chunk.phase}, this rank runs a ${this.kind}`,
        'every rank must issue the same collectives (allReduce, broadcast, barrier) in the same order',
      );
    }
    if (chunk.step !== this.options.step) {
      throw new RingError('RING_COLLECTIVE_MISMATCH', `${where}: the left neighbour is at step ${chunk.step}, this rank at step ${this.options.step}`);
    }
    if (this.kind === 'broadcast' && chunk.rootRank !== (this.options.root ?? 0)) {
      throw new RingError('RING_COLLECTIVE_MISMATCH', `${where}: the left neighbour broadcasts from root ${chunk.rootRank}, this rank from root ${this.options.root}`);
    }
    const b = this.buckets[chunk.bucketId];
    if (!b) throw new RingError('RING_MALFORMED_CHUNK', `${where}: bucket_id ${chunk.bucketId} is out of range, this collective has ${this.buckets.length} bucket(s)`);
    if (chunk.bucketLength !== b.length) {
      throw new RingError('RING_COLLECTIVE_MISMATCH', `${where}: bucket_length is ${chunk.bucketLength} on the left neighbour and ${b.length} on this rank`, 'every rank must reduce buffers of the same sizes in the same order');
    }
    const index = this.kind === 'broadcast' ? 0 : transferIndex(chunk.phase, chunk.ringStep, this.ctx.worldSize);
    const t = b.transfers[index];
    const cursor = b.cursors[index];
    if (!t || !cursor || t.ringStep !== chunk.ringStep) {
      const expected = this.kind === 'broadcast' ? `${t?.ringStep ?? 'none (this rank is the root)'}` : `0..${this.ctx.worldSize - 2}`;
      throw new RingError('RING_MALFORMED_CHUNK', `${where}: ring_step ${chunk.ringStep} of ${PHASE_NAMES[chunk.phase]} is not expected here (expected ${expected})`);
    }
    const end = chunk.offset + chunk.length;
    if (cursor.complete || chunk.offset !== cursor.next || chunk.chunkIndex !== cursor.chunks || end > t.end || (chunk.length === 0 && t.end > t.start)) {
      throw new RingError(
        'RING_MALFORMED_CHUNK',
        `${where}: ${PHASE_NAMES[t.phase]} step ${t.ringStep} carries elements [${chunk.offset}, ${end}) as chunk ${chunk.chunkIndex}, ` +
          (cursor.complete ? 'but that segment is already complete' : `expected chunk ${cursor.chunks} starting at ${cursor.next} within segment ${t.segment} = [${t.start}, ${t.end})`),
      );
    }
    cursor.next = end;
    cursor.chunks++;
    if (!b.data) {
      b.pending.push(chunk);
      this.ctx.buffered(chunk.data.byteLength);
      return;
    }
    this.apply(b, chunk);
    this.checkDone(b);
  }

  private apply(b: BucketState, chunk: RingChunk): void {
    const data = b.data as Float32Array;
    const { offset, length, phase } = chunk;
    if (phase === Phase.ReduceScatter) {
      addInto(data, offset, readFloat32(chunk.data, this.ctx.scratch), length);
    } else if (length > 0) {
      new Uint8Array(data.buffer, data.byteOffset + offset * 4, length * 4).set(chunk.data);
    }
    chunk.release?.();
    const hop = phase === Phase.Broadcast ? (chunk.ringStep + 2 < this.ctx.worldSize ? { phase, ringStep: chunk.ringStep + 1 } : null) : nextHop(phase, chunk.ringStep, this.ctx.worldSize);
    if (hop) this.ctx.send(this.header(b, hop.phase, hop.ringStep, chunk.chunkIndex, offset), data.subarray(offset, offset + length));
    const index = phase === Phase.Broadcast ? 0 : transferIndex(phase, chunk.ringStep, this.ctx.worldSize);
    const cursor = b.cursors[index] as Cursor;
    const t = b.transfers[index] as ExpectedTransfer;
    cursor.applied++;
    if (cursor.applied === cursor.chunks && cursor.next === t.end && !cursor.complete) {
      cursor.complete = true;
      b.remaining--;
    }
  }

  private checkDone(b: BucketState): void {
    if (b.data && b.remaining === 0 && !b.done.settled) b.done.resolve();
  }

  /** Fails every bucket not yet done. */
  fail(error: Error): void {
    for (const b of this.buckets) if (!b.done.settled) b.done.reject(error);
    for (const b of this.buckets) {
      for (const chunk of b.pending.splice(0)) this.ctx.buffered(-chunk.data.byteLength);
    }
  }

  /** Whether some chunk this rank needs has not arrived from the left neighbour yet. */
  get awaitsLeft(): boolean {
    const arrived = (c: Cursor, t: ExpectedTransfer): boolean => c.chunks > 0 && c.next === t.end;
    return this.buckets.some((b) => !b.done.settled && b.transfers.some((t, i) => !arrived(b.cursors[i] as Cursor, t)));
  }

  /** What this rank still waits for, for timeout messages. */
  waitingFor(leftRank: number): string {
    for (const b of this.buckets) {
      if (b.done.settled) continue;
      if (!b.data) return `bucket ${b.id} has not been launched on this rank`;
      const i = b.cursors.findIndex((c) => !c.complete);
      const t = b.transfers[i];
      if (t) return `bucket ${b.id} waits for ${PHASE_NAMES[t.phase]} step ${t.ringStep} (elements [${t.start}, ${t.end})) from rank ${leftRank}`;
    }
    return 'nothing';
  }

  /** Number of buckets launched so far. */
  get launchedCount(): number {
    return this.launched;
  }
}
