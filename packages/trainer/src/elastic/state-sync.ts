/**
 * After the group re-formed, the survivors agree on one training state: each reports
 * its position (how far it has committed), and the most advanced replica broadcasts
 * its whole state, packed as bytes, over the new ring. See NOTE [Elastic recovery] in
 * @loom/coordinator's `worker/elastic-recovery.ts` for why one step is the most any
 * two replicas can differ by.
 */
import type { ProcessGroup } from '../distributed/process-group';
import type { ElasticProcessGroup } from './elastic-process-group';
import { TrainingError } from '../errors';

/**
 * Positions travel as float32 in an all-reduce: exact for integers below 2^24, which
 * bounds epochs × (batches per epoch + 1).
 */
export const MAX_POSITION_KEY = 2 ** 24;
/** Two payload bytes per float32 element: values 0..65535 are exact and never NaN. */
const BYTES_PER_ELEMENT = 2;
/** Lengths travel as two float32 values of 16 bits each. */
const HALF = 65536;

/** What {@link agreeOnState} decided. */
export interface StateAgreement {
  /** The rank whose state every replica now has. */
  root: number;
  /** The root's encoded state, on ranks that must load it; null where nothing changes. */
  bytes: Uint8Array | null;
}

/**
 * Finds the most advanced replica (highest `positionKey`, lowest rank on a tie) and
 * sends its state to the ranks that are behind. When every rank is at the same
 * position, the replicas are already identical and nothing more is sent.
 *
 * @example
 * ```ts
 * const { bytes } = await agreeOnState(pg, epoch * (numBatches + 1) + batch, () => encodeCheckpoint(state));
 * if (bytes) restore(decodeCheckpoint(bytes));
 * ```
 */
export async function agreeOnState(pg: ProcessGroup, positionKey: number, encode: () => Uint8Array): Promise<StateAgreement> {
  if (!Number.isInteger(positionKey) || positionKey < -1 || positionKey >= MAX_POSITION_KEY) {
    throw new TrainingError(`agreeOnState: position ${positionKey} is outside [-1, ${MAX_POSITION_KEY})`, 'fewer epochs or batches per epoch, or a larger batch size');
  }
  const positions = new Float32Array(pg.worldSize);
  positions[pg.rank] = positionKey + 1;
  await pg.allReduce(positions);
  let root = 0;
  for (let r = 1; r < positions.length; r++) if ((positions[r] as number) > (positions[root] as number)) root = r;
  if (positions.every((p) => p === positions[root])) return { root, bytes: null };
  const payload = pg.rank === root ? encode() : null;
  const header = Float32Array.of(payload ? Math.floor(payload.length / HALF) : 0, payload ? payload.length % HALF : 0);
  await pg.broadcast(header, root);
  const length = (header[0] as number) * HALF + (header[1] as number);
  const packed = new Float32Array(Math.ceil(length / BYTES_PER_ELEMENT));
  if (payload) for (let i = 0; i < length; i++) packed[i >> 1] = (packed[i >> 1] as number) + (payload[i] as number) * (i & 1 ? 256 : 1);
  await pg.broadcast(packed, root);
  if (payload || positions[pg.rank] === positions[root]) return { root, bytes: null };
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = ((packed[i >> 1] as number) >> (i & 1 ? 8 : 0)) & 0xff;
  return { root, bytes };
}

/** What {@link recoverReplica} needs from the trainer it recovers. */
export interface ReplicaState {
  /** This replica's position as a key: higher is further (see {@link agreeOnState}). */
  positionKey(): number;
  /** Encodes this replica's whole training state (for the ranks behind it). */
  encode(): Uint8Array;
  /** Loads the most advanced replica's state. */
  load(bytes: Uint8Array): Promise<void>;
}

/**
 * After a collective failed with a membership change: re-forms the group and makes
 * every replica hold the most advanced one's state, retrying while further changes
 * interrupt the agreement itself. Resolves with the rank whose state won.
 *
 * @example
 * ```ts
 * const root = await recoverReplica(pg, error, { positionKey, encode, load });
 * ```
 */
export async function recoverReplica(pg: ElasticProcessGroup, error: unknown, replica: ReplicaState): Promise<number> {
  let cause = error instanceof Error ? error.message : String(error);
  for (;;) {
    await pg.recover(cause);
    try {
      const { root, bytes } = await agreeOnState(pg, replica.positionKey(), () => replica.encode());
      if (bytes) await replica.load(bytes);
      return root;
    } catch (e) {
      if (!pg.isMembershipChange(e)) throw e;
      cause = e instanceof Error ? e.message : String(e);
    }
  }
}
