/**
 * Options of `RingAllReduce`, their defaults and where each default comes from.
 */
import type { ChannelCredentials, ServerCredentials } from '@grpc/grpc-js';
import { CoordinatorConfigError, checkInteger } from '../errors';
import type { AuthHook, MetadataProvider } from '../server/auth';
import { DEFAULT_BUCKET_CAP_BYTES, DEFAULT_FIRST_BUCKET_CAP_BYTES, FLOAT32_BYTES } from './buckets';
import { DEFAULT_SHARED_MEMORY_ROOT } from './shared-memory';

/** Environment variable that turns the same-host shared-memory payload path off ("0" or "off"). */
export const SHARED_MEMORY_ENV = 'LOOM_RING_SHARED_MEMORY';

/** Default chunk: 1 MiB, a quarter of gRPC's default 4 MiB message limit. */
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;
/** gRPC's default maximum message size (grpc-js `grpc.max_receive_message_length`). */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Room for a chunk's header fields within a message (13 small fields, generously). */
export const CHUNK_HEADER_RESERVE_BYTES = 256;
/** PyTorch's `default_pg_timeout`: 30 minutes for one collective. */
export const DEFAULT_COLLECTIVE_TIMEOUT_MS = 30 * 60 * 1000;
/** How long `connect()` waits for the left neighbour's server (a local choice). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/** Chunks held for collectives not started here yet: a whole step of a 1 GiB model. */
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024 * 1024;
/** Bind address: loopback unless configured (the security default of issue 7). */
export const DEFAULT_HOST = '127.0.0.1';

/** Options of {@link RingAllReduce}. */
export interface RingAllReduceOptions {
  /** Address the Peer server binds (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: ephemeral). */
  port?: number;
  /** Payload bytes per chunk (default 1 MiB; a multiple of 4). */
  chunkBytes?: number;
  /** Bucket size of `allReduce` (default 25 MiB, PyTorch DDP). */
  bucketCapBytes?: number;
  /** First bucket's size (default 1 MiB, PyTorch DDP). */
  firstBucketCapBytes?: number;
  /** Deadline of one collective (default 30 min, PyTorch). */
  collectiveTimeoutMs?: number;
  /** Deadline of `connect()` (default 30 s). */
  connectTimeoutMs?: number;
  /** Largest gRPC message accepted or sent (default 4 MiB). */
  maxMessageBytes?: number;
  /** Bytes of chunks held for collectives not started here yet (default 1 GiB). */
  maxBufferedBytes?: number;
  /** This worker's id, sent in the hello (for messages). */
  workerId?: string;
  /** Checks incoming Ring calls (tokens, identities). */
  authorize?: AuthHook;
  /** Metadata sent with the Ring call to the left neighbour (the token). */
  metadata?: MetadataProvider;
  /** TLS for the Peer server (default insecure, loopback). */
  serverCredentials?: ServerCredentials;
  /** TLS for the call to the left neighbour. */
  channelCredentials?: ChannelCredentials;
  /**
   * Directory (tmpfs) through which neighbours on the same host pass payloads (default
   * /dev/shm; null, or LOOM_RING_SHARED_MEMORY=0, keeps every payload in the gRPC
   * stream). See NOTE [Shared-memory payloads] in shared-memory.ts.
   */
  sharedMemoryRoot?: string | null;
}

/** Options with every default filled in. */
export type ResolvedOptions = Required<Pick<RingAllReduceOptions, 'host' | 'port' | 'chunkBytes' | 'bucketCapBytes' | 'firstBucketCapBytes' | 'collectiveTimeoutMs' | 'connectTimeoutMs' | 'maxMessageBytes' | 'maxBufferedBytes' | 'workerId' | 'sharedMemoryRoot'>> & RingAllReduceOptions;

/** The shared-memory root: the option, else the default unless the environment turns it off. */
function sharedMemoryRoot(option: string | null | undefined): string | null {
  if (option !== undefined) return option;
  const env = process.env[SHARED_MEMORY_ENV];
  if (env === undefined || env === '' || env === '1' || env === 'on') return DEFAULT_SHARED_MEMORY_ROOT;
  if (env === '0' || env === 'off') return null;
  throw new CoordinatorConfigError(`${SHARED_MEMORY_ENV}=${env}: expected 1/on or 0/off`);
}

/**
 * Fills in the defaults and checks every option, naming the bad one.
 *
 * @example
 * ```ts
 * resolveRingOptions({ chunkBytes: 6 }); // throws: chunkBytes must be a multiple of 4, got 6
 * ```
 */
export function resolveRingOptions(options: RingAllReduceOptions): ResolvedOptions {
    const where = 'RingAllReduce';
    const o: ResolvedOptions = {
      ...options,
      host: options.host ?? DEFAULT_HOST,
      port: checkInteger(where, 'port', options.port ?? 0, 0, 65535),
      chunkBytes: checkInteger(where, 'chunkBytes', options.chunkBytes ?? DEFAULT_CHUNK_BYTES, FLOAT32_BYTES),
      bucketCapBytes: checkInteger(where, 'bucketCapBytes', options.bucketCapBytes ?? DEFAULT_BUCKET_CAP_BYTES, FLOAT32_BYTES),
      firstBucketCapBytes: checkInteger(where, 'firstBucketCapBytes', options.firstBucketCapBytes ?? DEFAULT_FIRST_BUCKET_CAP_BYTES, FLOAT32_BYTES),
      collectiveTimeoutMs: checkInteger(where, 'collectiveTimeoutMs', options.collectiveTimeoutMs ?? DEFAULT_COLLECTIVE_TIMEOUT_MS, 1),
      connectTimeoutMs: checkInteger(where, 'connectTimeoutMs', options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, 1),
      maxMessageBytes: checkInteger(where, 'maxMessageBytes', options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, 1024),
      maxBufferedBytes: checkInteger(where, 'maxBufferedBytes', options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES, 0),
      workerId: options.workerId ?? `pid-${process.pid}`,
      sharedMemoryRoot: sharedMemoryRoot(options.sharedMemoryRoot),
    };
    if (o.chunkBytes % FLOAT32_BYTES !== 0) throw new CoordinatorConfigError(`${where}: chunkBytes must be a multiple of ${FLOAT32_BYTES}, got ${o.chunkBytes}`);
    if (o.chunkBytes + CHUNK_HEADER_RESERVE_BYTES > o.maxMessageBytes) {
      throw new CoordinatorConfigError(
        `${where}: chunkBytes ${o.chunkBytes} plus ${CHUNK_HEADER_RESERVE_BYTES} header bytes exceeds maxMessageBytes ${o.maxMessageBytes}`,
        'lower chunkBytes (1 MiB is the default) or raise maxMessageBytes on every worker',
      );
    }
    return o;
}
