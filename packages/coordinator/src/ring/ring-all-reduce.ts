/**
 * `RingAllReduce`: the collectives of data-parallel training (all-reduce, broadcast,
 * barrier) over a ring of gRPC streams between worker processes. The algorithm, the
 * chunk order and why replicas end bit-identical: NOTE [Rendezvous and ring] in
 * `ring-schedule.ts`.
 */
import { CoordinatorConfigError, RingError, checkInteger } from '../errors';
import { PROTOCOL_VERSION } from '../protocol/protocol-version';
import { createTracer } from '../trace';
import { AllReduceHandle } from './all-reduce-handle';
import { FLOAT32_BYTES, bucketArray, planBuckets, unpackBucket } from './buckets';
import { GRPC_MESSAGE_PREFIX_BYTES, decodeChunk, encodeHello, type ChunkHeader, type RingChunk } from './chunk-codec';
import { Outbox } from './outbox';
import { Collective, type CollectiveContext, type CollectiveKind } from './collective';
import { PeerLink } from './peer-link';
import { PeerServer, type OutboundSink, type OutboundStream } from './peer-server';
import { checkChunk, checkHello } from './ring-checks';
import { resolveRingOptions, type ResolvedOptions, type RingAllReduceOptions } from './ring-options';
import { PHASE_NAMES } from './ring-schedule';
import { SharedMemoryInbox, SharedMemoryWriter } from './shared-memory';

const trace = createTracer('ring');

/** How long `close()` waits for the left neighbour to end its stream (it closes too). */
export const CLOSE_TIMEOUT_MS = 5000;

/** This rank's place in the ring (from `Coordinator.Join`). */
export interface RingTopology {
  rank: number;
  worldSize: number;
  membershipEpoch: number;
  /** Address of the left neighbour's Peer server (rank - 1 mod worldSize), which this rank receives from. */
  left: string;
}

/** Options of one all-reduce. */
export interface AllReduceOptions {
  /** Each rank contributes `buffer * weight` (default 1: a plain sum). */
  weight?: number;
  /** Training step the collective belongs to; ranks at different steps are refused. */
  step?: number;
  /** Overrides of the ring's bucket sizes for this call. */
  bucketCapBytes?: number;
  firstBucketCapBytes?: number;
}

/**
 * Ring collectives over gRPC between the workers of a group.
 *
 * @example
 * ```ts
 * const ring = new RingAllReduce();
 * const address = await ring.listen();               // tell the coordinator
 * await ring.connect({ rank, worldSize, membershipEpoch, left });
 * await ring.broadcast(params, 0);                   // rank 0's parameters everywhere
 * await ring.allReduce(grads, { weight: shard / globalBatch });
 * console.log(ring.bytesSent);
 * await ring.close();
 * ```
 */
export class RingAllReduce implements OutboundSink {
  private readonly options: ResolvedOptions;
  private readonly server: PeerServer;
  private listening: string | null = null;
  private topology: RingTopology | null = null;
  /** Receives from the left neighbour. */
  private link: PeerLink | null = null;
  /** Where the left neighbour may put payloads when it shares this host (per epoch). */
  private inbox: SharedMemoryInbox | null = null;
  /** Sends to the right neighbour (a new one per epoch). */
  private outbox: Outbox;
  /** Bytes sent in earlier epochs. */
  private sentBefore = 0;
  private sentSharedMemoryBefore = 0;
  private readonly waitingSubscribers = new Set<OutboundStream>();
  private neighbourGone: RingError | null = null;
  private failure: Error | null = null;
  private closed = false;
  private nextCollectiveId = 0;
  private readonly active = new Map<number, { collective: Collective; timer: NodeJS.Timeout }>();
  private readonly early = new Map<number, RingChunk[]>();
  private bufferedBytes = 0;
  private received = 0;
  private readonly scratch = { buffer: new ArrayBuffer(0) };

  constructor(options: RingAllReduceOptions = {}) {
    const o = resolveRingOptions(options);
    this.options = o;
    this.outbox = new Outbox(o.chunkBytes);
    this.server = new PeerServer(this, { authorize: o.authorize, credentials: o.serverCredentials });
  }

  /** Starts the Peer server; returns its address ("host:port") for `Coordinator.Join`. */
  async listen(): Promise<string> {
    if (!this.listening) this.listening = await this.server.listen(this.options.host, this.options.port);
    return this.listening;
  }

  /** The Peer server's address, once listening. */
  get address(): string | null {
    return this.listening;
  }

  /** This rank (valid after `connect`). */
  get rank(): number {
    return this.requireTopology('rank').rank;
  }

  /** Number of ranks (valid after `connect`). */
  get worldSize(): number {
    return this.requireTopology('worldSize').worldSize;
  }

  /** Bytes sent to the right neighbour: messages plus gRPC's 5-byte prefix each. */
  get bytesSent(): number {
    return this.sentBefore + this.outbox.bytesSent;
  }

  /** Bytes received from the left neighbour, counted the same way. */
  get bytesReceived(): number {
    return this.received;
  }

  /** The part of {@link bytesSent} passed through shared memory (neighbour on this host). */
  get bytesSentSharedMemory(): number {
    return this.sentSharedMemoryBefore + this.outbox.bytesSentSharedMemory;
  }

  private requireTopology(what: string): RingTopology {
    if (!this.topology) throw new RingError('RING_CLOSED', `RingAllReduce.${what}: the ring is not connected`, 'call listen() and connect(topology) first');
    return this.topology;
  }

  /**
   * Joins the ring at `topology.membershipEpoch`: calls the left neighbour's `Ring`.
   * Calling it again with a later epoch re-forms the ring (collectives of the old
   * epoch fail with `RING_CLOSED`).
   */
  async connect(topology: RingTopology): Promise<void> {
    const where = 'RingAllReduce.connect';
    checkInteger(where, 'worldSize', topology.worldSize, 1);
    checkInteger(where, 'rank', topology.rank, 0, topology.worldSize - 1);
    checkInteger(where, 'membershipEpoch', topology.membershipEpoch, 0);
    if (this.topology && topology.membershipEpoch <= this.topology.membershipEpoch) {
      throw new CoordinatorConfigError(`${where}: membershipEpoch must grow, got ${topology.membershipEpoch} after ${this.topology.membershipEpoch}`);
    }
    if (this.closed) throw new RingError('RING_CLOSED', `${where}: the ring was closed`);
    await this.listen();
    if (this.topology) this.reset(new RingError('RING_CLOSED', `the ring was re-formed at membership epoch ${topology.membershipEpoch}`));
    this.topology = { ...topology };
    const { rank, worldSize, membershipEpoch } = topology;
    if (worldSize > 1) {
      this.inbox = this.options.sharedMemoryRoot ? SharedMemoryInbox.create(this.options.sharedMemoryRoot) : null;
      const link = new PeerLink(topology.left, {
        credentials: this.options.channelCredentials,
        metadata: this.options.metadata,
        channelOptions: { 'grpc.max_receive_message_length': this.options.maxMessageBytes },
        onMessage: (message) => this.onMessage(message),
        onClosed: (error) => this.onLeftClosed(link, error),
      });
      this.link = link;
      link.open(encodeHello({ protocolVersion: PROTOCOL_VERSION, membershipEpoch, receiverRank: rank, worldSize, receiverWorkerId: this.options.workerId, sharedMemory: this.inbox?.offer ?? null }));
    }
    for (const stream of [...this.waitingSubscribers]) {
      this.waitingSubscribers.delete(stream);
      try {
        this.onSubscribe(stream);
      } catch (e) {
        stream.abort(e as Error);
      }
    }
    trace(() => `rank ${rank}/${worldSize} epoch ${membershipEpoch}: receiving from ${topology.left}`);
    await this.link?.waitForReady(this.options.connectTimeoutMs);
  }

  /** Forgets the current epoch: fails its collectives, drops its streams. */
  private reset(reason: RingError): void {
    this.failActive(reason);
    this.early.clear();
    this.bufferedBytes = 0;
    this.nextCollectiveId = 0;
    this.link?.cancel();
    this.link = null;
    this.inbox?.dispose();
    this.inbox = null;
    this.outbox.abort(reason);
    this.sentBefore += this.outbox.bytesSent;
    this.sentSharedMemoryBefore += this.outbox.bytesSentSharedMemory;
    this.outbox = new Outbox(this.options.chunkBytes);
    // Cleared last: aborting the old stream to the right reports a lost neighbour, which
    // belongs to the old epoch and must not fail the new one's collectives.
    this.failure = null;
    this.neighbourGone = null;
  }

  /**
   * Sums `buffers` element-wise over all ranks, in place (each rank's values times
   * `weight`), bucketed as PyTorch DDP. Every rank must call it with buffers of the
   * same sizes, in the same order relative to its other collectives.
   */
  async allReduce(buffers: Float32Array | readonly Float32Array[], options: AllReduceOptions = {}): Promise<void> {
    const list = buffers instanceof Float32Array ? [buffers] : buffers;
    const first = Math.floor((options.firstBucketCapBytes ?? this.options.firstBucketCapBytes) / FLOAT32_BYTES);
    const cap = Math.floor((options.bucketCapBytes ?? this.options.bucketCapBytes) / FLOAT32_BYTES);
    const plan = planBuckets(list, Math.max(1, first), Math.max(1, cap));
    const handle = this.startAllReduce(
      plan.map((b) => b.length),
      options,
    );
    await Promise.all(
      plan.map(async (bucket, id) => {
        const flat = bucketArray(bucket);
        await handle.reduceBucket(id, flat);
        unpackBucket(bucket, flat);
      }),
    );
  }

  /**
   * Starts an all-reduce of buckets of the given lengths whose data come later, one
   * bucket at a time (see {@link AllReduceHandle}).
   */
  startAllReduce(bucketLengths: readonly number[], options: Pick<AllReduceOptions, 'weight' | 'step'> = {}): AllReduceHandle {
    const weight = options.weight ?? 1;
    if (!Number.isFinite(weight)) throw new CoordinatorConfigError(`RingAllReduce.allReduce: weight must be finite, got ${weight}`);
    bucketLengths.forEach((n, i) => checkInteger('RingAllReduce.allReduce', `bucket ${i} length`, n, 0, 0xffffffff));
    const { collective, failure } = this.issue('all-reduce', bucketLengths, { step: options.step ?? 0 });
    return new AllReduceHandle(collective, weight, failure);
  }

  /** Copies `root`'s `buffer` into every rank's `buffer` (same length everywhere). */
  async broadcast(buffer: Float32Array, root: number, options: { step?: number } = {}): Promise<void> {
    checkInteger('RingAllReduce.broadcast', 'root', root, 0, this.worldSize - 1);
    checkInteger('RingAllReduce.broadcast', 'buffer length', buffer.length, 0, 0xffffffff);
    const { collective, failure } = this.issue('broadcast', [buffer.length], { step: options.step ?? 0, root });
    if (failure) throw failure;
    collective.launch(0, buffer);
    await collective.done();
  }

  /** Resolves once every rank has called `barrier()` (a one-element all-reduce). */
  async barrier(): Promise<void> {
    await this.allReduce(new Float32Array(1));
  }

  private issue(kind: CollectiveKind, lengths: readonly number[], options: { step: number; root?: number }): { collective: Collective; failure: Error | null } {
    const topology = this.requireTopology(kind);
    const id = this.nextCollectiveId++;
    const collective = new Collective(this.context(topology), id, kind, lengths, options);
    const failure = this.failure ?? this.neighbourGone;
    if (failure) return { collective, failure };
    const timer = setTimeout(() => {
      const left = (topology.rank + topology.worldSize - 1) % topology.worldSize;
      this.fail(new RingError('RING_TIMEOUT', `${collective.describe()} timed out after ${this.options.collectiveTimeoutMs} ms: ${collective.waitingFor(left)}`, "a rank may have died, hung, or issued different collectives; check every worker's log"));
    }, this.options.collectiveTimeoutMs);
    this.active.set(id, { collective, timer });
    collective.done().then(
      () => this.retire(id),
      () => this.retire(id),
    );
    const early = this.early.get(id) ?? [];
    this.early.delete(id);
    for (const chunk of early) {
      this.bufferedBytes -= chunk.data.byteLength;
      try {
        collective.receive(chunk);
      } catch (e) {
        this.fail(e as Error);
        break;
      }
    }
    return { collective, failure: null };
  }

  private retire(id: number): void {
    const entry = this.active.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.active.delete(id);
  }

  private context(topology: RingTopology): CollectiveContext {
    return {
      rank: topology.rank,
      worldSize: topology.worldSize,
      membershipEpoch: topology.membershipEpoch,
      chunkElements: this.options.chunkBytes / FLOAT32_BYTES,
      send: (header: ChunkHeader, values: Float32Array) => this.outbox.send(header, values),
      scratch: this.scratch,
      buffered: (bytes: number) => this.hold(bytes),
    };
  }

  private failActive(error: Error): void {
    for (const { collective, timer } of this.active.values()) {
      clearTimeout(timer);
      collective.fail(error);
    }
    this.active.clear();
  }

  /** Accounts bytes received ahead of their collective or bucket; refuses more than allowed. */
  private hold(bytes: number): void {
    this.bufferedBytes += bytes;
    if (bytes > 0 && this.bufferedBytes > this.options.maxBufferedBytes) {
      throw new RingError('RING_BUFFER_FULL', `Peer.Ring: ${this.bufferedBytes} bytes received ahead of this rank, over maxBufferedBytes ${this.options.maxBufferedBytes}`, 'raise maxBufferedBytes, or check that every rank issues the same collectives');
    }
  }

  /** Fails every collective in flight and every later one until the ring is re-formed. */
  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    trace(`ring failed: ${error.message}`, 'info');
    this.failActive(error);
    // Tell both neighbours at once instead of letting them wait for their deadline.
    this.link?.cancel();
    this.outbox.abort(error);
  }

  /** @internal OutboundSink: the right neighbour asks for the stream. */
  onSubscribe(stream: OutboundStream): void {
    const t = this.topology;
    if (!t || stream.hello.membershipEpoch > t.membershipEpoch) {
      // The neighbour heard of the (new) membership first: decide once this rank connects.
      this.waitingSubscribers.add(stream);
      return;
    }
    checkHello(stream.hello, stream.peer, t);
    const right = (t.rank + 1) % t.worldSize;
    if (this.outbox.attached) {
      throw new RingError('RING_STREAM_EXISTS', `Peer.Ring: call from rank ${stream.hello.receiverRank}: a ring stream to rank ${right} is already open for epoch ${t.membershipEpoch}`);
    }
    const root = this.options.sharedMemoryRoot;
    const writer = root ? SharedMemoryWriter.accept(root, stream.hello.sharedMemory) : null;
    this.outbox.attach(stream, writer);
    trace(() => `rank ${t.rank}: sending to rank ${right} (${stream.peer}), payloads ${writer ? `through shared memory (${writer.directory})` : 'in the stream'}`);
  }

  /** @internal OutboundSink: the stream to the right neighbour ended. */
  onSubscriberClosed(stream: OutboundStream, error: Error | null): void {
    this.waitingSubscribers.delete(stream);
    if (!this.outbox.detach(stream) || this.closed) return;
    this.neighbourLost(new RingError('RING_PEER_LOST', `the right neighbour's ring stream ended${error ? `: ${error.message}` : ''}`), (c) => !c.settled);
  }

  /**
   * A neighbour's stream ended: later collectives are refused, and those in flight
   * that still need it fail. A left neighbour that ended cleanly has sent everything
   * before its end (it closes only after its own collectives completed, and a rank
   * completes only after forwarding what it received), so only collectives still
   * awaiting its chunks are broken.
   */
  private neighbourLost(error: RingError, stillNeeded: (c: Collective) => boolean): void {
    this.neighbourGone ??= error;
    const waiting = [...this.active.values()].find((e) => stillNeeded(e.collective));
    if (waiting) this.fail(new RingError(error.code, `${error.message} while ${waiting.collective.describe()} was in flight`));
  }

  private onLeftClosed(link: PeerLink, error: RingError | null): void {
    if (link !== this.link || this.closed) return;
    this.link = null;
    // A chunk this rank refused is a broken ring: fail at once with the reason.
    if (error && error.code !== 'RING_PEER_LOST') this.fail(error);
    else this.neighbourLost(error ?? new RingError('RING_PEER_LOST', "the left neighbour's ring stream ended"), (c) => c.awaitsLeft);
  }

  private onMessage(message: Buffer): void {
    this.received += message.length + GRPC_MESSAGE_PREFIX_BYTES;
    const chunk = decodeChunk(message);
    if (chunk.sharedMemoryFile) this.takeSharedMemoryPayload(chunk);
    checkChunk(chunk, this.topology as RingTopology);
    if (chunk.collectiveId < this.nextCollectiveId) {
      const entry = this.active.get(chunk.collectiveId);
      if (!entry) {
        throw new RingError(
          'RING_COLLECTIVE_MISMATCH',
          `Peer.Ring: a ${PHASE_NAMES[chunk.phase] ?? chunk.phase} chunk for collective ${chunk.collectiveId}, which already finished on rank ${this.topology?.rank}`,
          'every rank must issue the same collectives (allReduce, broadcast, barrier) in the same order',
        );
      }
      entry.collective.receive(chunk);
      return;
    }
    this.hold(chunk.data.byteLength);
    const list = this.early.get(chunk.collectiveId) ?? [];
    list.push(chunk);
    this.early.set(chunk.collectiveId, list);
  }

  /** Replaces the chunk's empty `data` with its payload from the shared-memory file it names. */
  private takeSharedMemoryPayload(chunk: RingChunk): void {
    const where = `Peer.Ring: chunk ${chunk.chunkIndex} of collective ${chunk.collectiveId} bucket ${chunk.bucketId}`;
    if (!this.inbox) throw new RingError('RING_MALFORMED_CHUNK', `${where} names shared-memory file "${chunk.sharedMemoryFile}", but this rank offered no shared memory`);
    if (chunk.data.byteLength > 0) throw new RingError('RING_MALFORMED_CHUNK', `${where} carries both data and shared-memory file "${chunk.sharedMemoryFile}"`);
    const payload = this.inbox.take(chunk.sharedMemoryFile, chunk.length * FLOAT32_BYTES, this.options.maxMessageBytes);
    chunk.data = payload.data;
    chunk.release = payload.release;
    this.received += chunk.data.byteLength;
  }

  /** Ends the stream to the right neighbour after its queued chunks, stops receiving and the Peer server. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closing = new RingError('RING_CLOSED', 'RingAllReduce: the ring was closed');
    this.failActive(closing);
    // NOTE [Rendezvous and ring], shutdown: end the stream to the right after its queued
    // chunks, then wait for the left neighbour to do the same, so that no rank cuts a
    // stream its neighbour still reads from.
    this.outbox.end();
    const link = this.link;
    if (link) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([link.ended, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)))]);
      clearTimeout(timer);
      link.cancel();
    }
    this.inbox?.dispose();
    this.inbox = null;
    for (const stream of this.waitingSubscribers) stream.abort(closing);
    await this.server.close();
  }
}
