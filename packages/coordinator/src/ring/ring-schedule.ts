/**
 * Which segment of a bucket each rank sends and receives at each step of the ring
 * collectives. Pure arithmetic, shared by the sender and the receiver so that both
 * sides agree on every chunk's place without negotiating it.
 *
 * NOTE [Rendezvous and ring]
 * ==========================
 * Rendezvous. Every worker first starts its `Peer` server, then calls `Coordinator.Join`
 * with that address. Join blocks until the group is formed (`minWorkers` joined, plus a
 * last call for more up to `maxWorkers`); ranks are the requested ones, the others are
 * filled in `worker_id` order, so arrival order never matters. Every worker gets the
 * member list and membership epoch 1. Chunks flow to the right (rank + 1 mod N); each
 * rank calls its LEFT neighbour's `Peer.Ring` and receives on the response stream:
 *
 *            +------------------ chunks -----------------------+
 *            v                                                 |
 *        [rank 0] ---chunks---> [rank 1] ---chunks---> [rank 2]+
 *            \  (rank 1 calls rank 0's Ring, 2 calls 1's, 0 calls 2's)
 *             +----- Join / Heartbeat / Control -----------> [coordinator]
 *
 * All-reduce of one bucket of length L (N segments, segment j = [jL/N, (j+1)L/N)):
 *
 *   reduce-scatter, step s = 0..N-2: rank r sends segment (r - s) mod N, receives
 *     segment (r - s - 1) mod N from its left and adds its own values into it. Segment
 *     j thus starts at rank j and accumulates x_j + x_{j+1} + ... in ring order, one
 *     addition per hop, and is complete at rank j - 1 after N - 1 hops;
 *   all-gather, step s = 0..N-2: rank r sends segment (r + 1 - s) mod N (the one it
 *     completed, then the ones it received), receives segment (r - s) mod N and copies it.
 *
 *   N = 3; rank r's bucket is split in segments a_r b_r c_r:
 *     segment a: s0 rank 0 -> 1 sends a0   s1 rank 1 -> 2 sends a0+a1   rank 2 owns (a0+a1)+a2
 *     segment b: s0 rank 1 -> 2 sends b1   s1 rank 2 -> 0 sends b1+b2   rank 0 owns (b1+b2)+b0
 *     segment c: s0 rank 2 -> 0 sends c2   s1 rank 0 -> 1 sends c2+c0   rank 1 owns (c2+c0)+c1
 *   then all-gather copies a from rank 2, b from rank 0, c from rank 1 around the ring.
 *
 * Bit-identical replicas: each segment's final value is computed once, by one rank, in
 * one fixed order, and all-gather only copies it, so every rank ends with the same bits
 * (the order differs between segments, which is why the sum may differ from a
 * sequential sum by float32 rounding, not between ranks).
 *
 * Streaming: segments travel as chunks (offset, length); a chunk received in step s is
 * processed and forwarded at once as the same range of step s + 1 (the last
 * reduce-scatter step forwards into all-gather step 0), so a 100 MB bucket pipelines
 * through the ring chunk by chunk. An empty segment (L < N) still sends one empty
 * chunk, which keeps the dependency chain, so even a barrier (L = 1) orders all ranks.
 * Each rank sends 2(N - 1) segments, 2(N - 1)/N of the bucket's bytes plus framing.
 *
 * Broadcast from root: the buffer flows root -> root + 1 -> ... -> root - 1 in one
 * BROADCAST phase, ring step = hops from the root - 1, chunks forwarded as received.
 *
 * Direction: rank r calls its LEFT neighbour's `Peer.Ring` and receives on the response
 * stream, so the receiver is a gRPC client, the only side where grpc-js lets the HTTP/2
 * flow-control window be raised (64 KiB -> 16 MiB: ~4x the throughput on loopback).
 *
 * Shutdown: a rank ends its outgoing stream after the queued chunks, then waits for its
 * left neighbour's stream to end (bounded), so no rank cuts a stream still being read.
 * A neighbour's stream ending fails only the collectives that still need it.
 *
 * Ordering: every rank issues collectives in the same order (as with NCCL or Gloo), so
 * a collective's sequence number (`collective_id`) names it on every rank. Chunks of a
 * collective this rank has not started yet are buffered (bounded). Membership changes
 * (issue 7) start a new epoch: a new ring, new streams, collective ids from 0.
 */

/** `RingPhase` values of the `.proto` (protobufjs decodes enums to these numbers). */
export enum Phase {
  ReduceScatter = 1,
  AllGather = 2,
  Broadcast = 3,
}

/** Names of the phases, for messages. */
export const PHASE_NAMES: Record<number, string> = {
  [Phase.ReduceScatter]: 'REDUCE_SCATTER',
  [Phase.AllGather]: 'ALL_GATHER',
  [Phase.Broadcast]: 'BROADCAST',
};

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/**
 * Bounds [start, end) of segment `segment` of a bucket of `length` elements split
 * among `worldSize` ranks (sizes differ by at most one).
 *
 * @example
 * ```ts
 * segmentBounds(10, 3, 1); // [3, 6]
 * ```
 */
export function segmentBounds(length: number, worldSize: number, segment: number): [number, number] {
  return [Math.floor((segment * length) / worldSize), Math.floor(((segment + 1) * length) / worldSize)];
}

/**
 * The segment `rank` receives at `ringStep` of `phase` (all-reduce phases), or `0`
 * for broadcast (the whole buffer is one segment).
 *
 * @example
 * ```ts
 * receivedSegment(Phase.ReduceScatter, 0, 0, 3); // 2: rank 0 first receives rank 2's segment
 * ```
 */
export function receivedSegment(phase: Phase, rank: number, ringStep: number, worldSize: number): number {
  if (phase === Phase.ReduceScatter) return mod(rank - ringStep - 1, worldSize);
  if (phase === Phase.AllGather) return mod(rank - ringStep, worldSize);
  return 0;
}

/**
 * Where a chunk received at (`phase`, `ringStep`) goes next, or null when this rank is
 * the end of its path. Reduce-scatter's last step continues as all-gather step 0.
 *
 * @example
 * ```ts
 * nextHop(Phase.ReduceScatter, 1, 3); // { phase: Phase.AllGather, ringStep: 0 }
 * ```
 */
export function nextHop(phase: Phase, ringStep: number, worldSize: number): { phase: Phase; ringStep: number } | null {
  const last = worldSize - 2;
  if (phase === Phase.ReduceScatter) return ringStep < last ? { phase, ringStep: ringStep + 1 } : { phase: Phase.AllGather, ringStep: 0 };
  return ringStep < last ? { phase, ringStep: ringStep + 1 } : null;
}

/** One contiguous piece of a bucket, in elements. */
export interface ChunkRange {
  offset: number;
  length: number;
}

/**
 * Cuts [start, end) into chunks of at most `chunkElements`; an empty range gives one
 * empty chunk (see the NOTE: it carries the dependency).
 *
 * @example
 * ```ts
 * chunkRanges(0, 5, 2); // [{offset 0, length 2}, {offset 2, length 2}, {offset 4, length 1}]
 * ```
 */
export function chunkRanges(start: number, end: number, chunkElements: number): ChunkRange[] {
  if (end <= start) return [{ offset: start, length: 0 }];
  const ranges: ChunkRange[] = [];
  for (let offset = start; offset < end; offset += chunkElements) ranges.push({ offset, length: Math.min(chunkElements, end - offset) });
  return ranges;
}

/** One transfer a rank expects from its left neighbour for one bucket. */
export interface ExpectedTransfer {
  phase: Phase;
  ringStep: number;
  segment: number;
  start: number;
  end: number;
}

/**
 * The transfers `rank` receives for one bucket of an all-reduce: N - 1 reduce-scatter
 * then N - 1 all-gather steps.
 *
 * @example
 * ```ts
 * allReduceTransfers(8, 1, 2); // [{RS, step 0, segment 0, 0..4}, {AG, step 0, segment 1, 4..8}]
 * ```
 */
export function allReduceTransfers(length: number, rank: number, worldSize: number): ExpectedTransfer[] {
  const transfers: ExpectedTransfer[] = [];
  for (const phase of [Phase.ReduceScatter, Phase.AllGather]) {
    for (let ringStep = 0; ringStep < worldSize - 1; ringStep++) {
      const segment = receivedSegment(phase, rank, ringStep, worldSize);
      const [start, end] = segmentBounds(length, worldSize, segment);
      transfers.push({ phase, ringStep, segment, start, end });
    }
  }
  return transfers;
}

/** Position of a transfer in {@link allReduceTransfers}' list. */
export function transferIndex(phase: Phase, ringStep: number, worldSize: number): number {
  return phase === Phase.ReduceScatter ? ringStep : worldSize - 1 + ringStep;
}

/**
 * Hops from `root` to `rank` along the ring (0 for the root itself).
 *
 * @example
 * ```ts
 * hopsFromRoot(0, 2, 3); // 1: 2 -> 0
 * ```
 */
export function hopsFromRoot(rank: number, root: number, worldSize: number): number {
  return mod(rank - root, worldSize);
}
