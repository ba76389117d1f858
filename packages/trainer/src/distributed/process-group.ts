/**
 * `ProcessGroup`: the collective operations distributed training needs, independent of
 * the transport. `@loom/coordinator` implements it over gRPC (a ring all-reduce between
 * worker processes); {@link InProcessGroup} implements it between replicas in one
 * process, for tests and for single-machine experiments.
 */
import { TrainerConfigError } from '../errors';

/**
 * One all-reduce whose buckets are handed over one at a time (see
 * {@link ProcessGroup.startAllReduce}): launch every bucket once, then `wait()`.
 */
export interface BucketedAllReduce {
  /** Starts summing bucket `id` in place; resolves when `data` holds the sum over all ranks. */
  reduceBucket(id: number, data: Float32Array): Promise<void>;
  /** Resolves when every bucket is reduced. */
  wait(): Promise<void>;
}

/** Collective communication among `worldSize` ranks (PyTorch's `ProcessGroup`). */
export interface ProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  /** Sums `buffer` element-wise across ranks, in place; every rank ends with identical values. */
  allReduce(buffer: Float32Array): Promise<void>;
  /**
   * Optional: one all-reduce of buckets of the given lengths whose data come later, as
   * backward produces them (`@loom/coordinator`'s ring implements it). One collective
   * per step instead of one per bucket: fewer round trips, and buckets launched early
   * are on the wire before the last gradient exists.
   */
  startAllReduce?(bucketLengths: readonly number[]): BucketedAllReduce;
  /** Copies `root`'s `buffer` into every rank's `buffer`. */
  broadcast(buffer: Float32Array, root: number): Promise<void>;
  /** Resolves when every rank has called it. */
  barrier(): Promise<void>;
}

interface PendingCollective {
  buffers: Map<number, Float32Array>;
  resolvers: (() => void)[];
}

/**
 * The shared state of {@link InProcessGroup} ranks: collectives are matched by call
 * order, as in every process group.
 */
class InProcessWorld {
  private readonly pending = new Map<string, PendingCollective>();
  private readonly counters = new Map<number, Map<string, number>>();

  constructor(readonly size: number) {}

  private key(rank: number, kind: string): string {
    const perRank = this.counters.get(rank) ?? new Map<string, number>();
    this.counters.set(rank, perRank);
    const n = perRank.get(kind) ?? 0;
    perRank.set(kind, n + 1);
    return `${kind}#${n}`;
  }

  join(rank: number, kind: string, buffer: Float32Array, complete: (buffers: Map<number, Float32Array>) => void): Promise<void> {
    const key = this.key(rank, kind);
    const entry: PendingCollective = this.pending.get(key) ?? { buffers: new Map(), resolvers: [] };
    this.pending.set(key, entry);
    entry.buffers.set(rank, buffer);
    return new Promise((resolve) => {
      entry.resolvers.push(() => resolve());
      if (entry.buffers.size === this.size) {
        this.pending.delete(key);
        complete(entry.buffers);
        for (const r of entry.resolvers) r();
      }
    });
  }
}

/** Sums the ranks' buffers in rank order and writes the sum into each (bit-identical everywhere). */
function sumInto(worldSize: number, buffers: Map<number, Float32Array>): void {
  const first = buffers.get(0) as Float32Array;
  const sum = new Float32Array(first.length);
  for (let r = 0; r < worldSize; r++) {
    const b = buffers.get(r) as Float32Array;
    for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (b[i] as number);
  }
  for (const b of buffers.values()) b.set(sum);
}

/**
 * A process group whose ranks live in one process (replicas in one thread). Sums are
 * taken in rank order, so every rank gets bit-identical results.
 *
 * @example
 * ```ts
 * const [g0, g1] = InProcessGroup.create(2);
 * await Promise.all([g0.allReduce(a), g1.allReduce(b)]); // a and b now hold a+b
 * ```
 */
export class InProcessGroup implements ProcessGroup {
  private startedAllReduces = 0;

  private constructor(
    private readonly world: InProcessWorld,
    readonly rank: number,
  ) {}

  /** Creates the ranks of a world of `worldSize`. */
  static create(worldSize: number): InProcessGroup[] {
    if (!Number.isInteger(worldSize) || worldSize <= 0) throw new TrainerConfigError(`InProcessGroup: worldSize must be a positive integer, got ${worldSize}`);
    const world = new InProcessWorld(worldSize);
    return Array.from({ length: worldSize }, (_, r) => new InProcessGroup(world, r));
  }

  get worldSize(): number {
    return this.world.size;
  }

  allReduce(buffer: Float32Array): Promise<void> {
    return this.world.join(this.rank, `allReduce:${buffer.length}`, buffer, (buffers) => sumInto(this.world.size, buffers));
  }

  /** Buckets are matched across ranks by their all-reduce's sequence number and their id, so launch order may differ. */
  startAllReduce(bucketLengths: readonly number[]): BucketedAllReduce {
    const collective = this.startedAllReduces++;
    const done: Promise<void>[] = bucketLengths.map(() => new Promise<void>(() => undefined));
    const reduceBucket = (id: number, data: Float32Array): Promise<void> => {
      if (data.length !== bucketLengths[id]) {
        return Promise.reject(new TrainerConfigError(`InProcessGroup.startAllReduce: bucket ${id} was declared with ${bucketLengths[id]} elements but launched with ${data.length}`));
      }
      done[id] = this.world.join(this.rank, `startAllReduce:${collective}:${id}`, data, (buffers) => sumInto(this.world.size, buffers));
      return done[id] as Promise<void>;
    };
    return { reduceBucket, wait: async () => void (await Promise.all(done)) };
  }

  broadcast(buffer: Float32Array, root: number): Promise<void> {
    return this.world.join(this.rank, `broadcast:${buffer.length}`, buffer, (buffers) => {
      const source = buffers.get(root) as Float32Array;
      for (const [r, b] of buffers) if (r !== root) b.set(source);
    });
  }

  barrier(): Promise<void> {
    return this.world.join(this.rank, 'barrier', new Float32Array(0), () => undefined);
  }
}
