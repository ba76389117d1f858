/**
 * One call that makes a process a member of a training group: start the ring's Peer
 * server, join through the coordinator, connect the ring, start heartbeats. The result
 * has the shape of @loom/trainer's `ProcessGroup` (rank, worldSize, allReduce,
 * broadcast, barrier), so it plugs into `DistributedDataParallel` as is.
 */
import * as os from 'node:os';
import { randomBytes } from 'node:crypto';
import { CoordinatorClient, type CoordinatorClientOptions } from '../client/coordinator-client';
import type { JoinResponse } from '../protocol/messages';
import { RingAllReduce, type AllReduceOptions } from '../ring/ring-all-reduce';
import type { RingAllReduceOptions } from '../ring/ring-options';
import type { AllReduceHandle } from '../ring/all-reduce-handle';
import { createTracer } from '../trace';

const trace = createTracer('worker');

/** Options of {@link joinGroup}. */
export interface JoinGroupOptions extends RingAllReduceOptions, CoordinatorClientOptions {
  /** The coordinator's "host:port". */
  coordinator: string;
  /** Job and model signature (see `modelSignature`). */
  jobSignature: string;
  /** torchrun's RANK, when ranks are fixed. */
  requestedRank?: number;
  /** Join's deadline. */
  joinTimeoutMs?: number;
  /** Called for each failed heartbeat (default: traced). */
  onHeartbeatError?: (e: Error) => void;
}

/**
 * A member of a training group: its rank, the ring, the coordinator client.
 *
 * @example
 * ```ts
 * const group = await joinGroup({ coordinator: '127.0.0.1:7000', jobSignature });
 * await group.broadcast(params, 0);
 * await group.allReduce(grads, { weight: 1 / group.worldSize });
 * await group.close();
 * ```
 */
export class WorkerGroup {
  /** @internal */
  constructor(
    readonly joined: JoinResponse,
    readonly ring: RingAllReduce,
    readonly client: CoordinatorClient,
    private readonly stopHeartbeats: () => void,
    readonly workerId: string,
  ) {}

  get rank(): number {
    return this.joined.rank;
  }

  get worldSize(): number {
    return this.joined.worldSize;
  }

  get membershipEpoch(): number {
    return this.joined.membershipEpoch;
  }

  /** See `RingAllReduce.allReduce`. */
  allReduce(buffers: Float32Array | readonly Float32Array[], options?: AllReduceOptions): Promise<void> {
    return this.ring.allReduce(buffers, options);
  }

  /** See `RingAllReduce.startAllReduce`. */
  startAllReduce(bucketLengths: readonly number[], options?: Pick<AllReduceOptions, 'weight' | 'step'>): AllReduceHandle {
    return this.ring.startAllReduce(bucketLengths, options);
  }

  /** See `RingAllReduce.broadcast`. */
  broadcast(buffer: Float32Array, root: number): Promise<void> {
    return this.ring.broadcast(buffer, root);
  }

  /** See `RingAllReduce.barrier`. */
  barrier(): Promise<void> {
    return this.ring.barrier();
  }

  /** Stops heartbeats, leaves the group (best effort), closes the ring and the client. */
  async close(options: { leave?: boolean; reason?: string } = {}): Promise<void> {
    this.stopHeartbeats();
    if (options.leave ?? true) {
      await this.client.leave({ workerId: this.workerId, leaseId: this.joined.leaseId }, options.reason ?? 'finished').catch((e: Error) => trace(`leave failed: ${e.message}`));
    }
    await this.ring.close();
    this.client.close();
  }
}

/** A worker id unique across hosts and restarts: "host:pid:random". */
export function defaultWorkerId(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** Joins a group (see {@link WorkerGroup}). */
export async function joinGroup(options: JoinGroupOptions): Promise<WorkerGroup> {
  const workerId = options.workerId ?? defaultWorkerId();
  const ring = new RingAllReduce({ ...options, workerId });
  const client = new CoordinatorClient(options.coordinator, options);
  try {
    const peerAddress = await ring.listen();
    const joined = await client.join({ workerId, jobSignature: options.jobSignature, peerAddress, requestedRank: options.requestedRank, hostname: os.hostname(), timeoutMs: options.joinTimeoutMs });
    const stop = client.startHeartbeats({ ...joined, workerId }, { onError: options.onHeartbeatError ?? ((e) => trace(`heartbeat failed: ${e.message}`, 'info')) });
    await ring.connect({ rank: joined.rank, worldSize: joined.worldSize, membershipEpoch: joined.membershipEpoch, left: joined.left.peerAddress });
    trace(() => `joined as rank ${joined.rank} of ${joined.worldSize}`);
    return new WorkerGroup(joined, ring, client, stop, workerId);
  } catch (e) {
    await ring.close();
    client.close();
    throw e;
  }
}
