/**
 * Typed errors of `@loom/coordinator`. Each has a stable `code` (the `loom-error-code`
 * the server sends in trailing metadata) and the gRPC status it travels as, so a
 * client re-creates the same class on its side of the wire (see `protocol/rpc-status.ts`).
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { LoomError } from '@loom/tensor';

/** Stable codes of coordinator and ring errors. */
export type CoordinatorErrorCode =
  | 'INVALID_OPTION'
  | 'PROTOCOL_VERSION_MISMATCH'
  | 'JOB_SIGNATURE_MISMATCH'
  | 'INVALID_JOIN'
  | 'RANK_OUT_OF_RANGE'
  | 'RANK_TAKEN'
  | 'WORKER_ID_TAKEN'
  | 'RENDEZVOUS_CLOSED'
  | 'RENDEZVOUS_TIMEOUT'
  | 'NOT_A_MEMBER'
  | 'UNKNOWN_WORKER'
  | 'UNAUTHENTICATED'
  | 'INSECURE_BIND'
  | 'INVALID_TOKEN'
  | 'INVALID_TLS'
  | 'RATE_LIMITED'
  | 'RING_BAD_HELLO'
  | 'RING_NOT_NEIGHBOUR'
  | 'RING_STREAM_EXISTS'
  | 'RING_MALFORMED_CHUNK'
  | 'RING_COLLECTIVE_MISMATCH'
  | 'RING_BUFFER_FULL'
  | 'RING_PEER_LOST'
  | 'RING_TIMEOUT'
  | 'RING_CLOSED'
  | 'MEMBERSHIP_CHANGED'
  | 'EVICTED'
  | 'GROUP_FAILED'
  | 'RECOVERY_TIMEOUT'
  | 'CHECKPOINT_REJECTED'
  | 'CHECKPOINT_TOO_LARGE'
  | 'CHECKPOINT_UNAVAILABLE'
  | 'RPC_FAILED';

/** The gRPC status each code travels as. */
export const GRPC_STATUS_OF: Record<CoordinatorErrorCode, GrpcStatus> = {
  INVALID_OPTION: GrpcStatus.INVALID_ARGUMENT,
  PROTOCOL_VERSION_MISMATCH: GrpcStatus.FAILED_PRECONDITION,
  JOB_SIGNATURE_MISMATCH: GrpcStatus.FAILED_PRECONDITION,
  INVALID_JOIN: GrpcStatus.INVALID_ARGUMENT,
  RANK_OUT_OF_RANGE: GrpcStatus.OUT_OF_RANGE,
  RANK_TAKEN: GrpcStatus.ALREADY_EXISTS,
  WORKER_ID_TAKEN: GrpcStatus.ALREADY_EXISTS,
  RENDEZVOUS_CLOSED: GrpcStatus.FAILED_PRECONDITION,
  RENDEZVOUS_TIMEOUT: GrpcStatus.DEADLINE_EXCEEDED,
  NOT_A_MEMBER: GrpcStatus.NOT_FOUND,
  UNKNOWN_WORKER: GrpcStatus.NOT_FOUND,
  UNAUTHENTICATED: GrpcStatus.UNAUTHENTICATED,
  INSECURE_BIND: GrpcStatus.FAILED_PRECONDITION,
  INVALID_TOKEN: GrpcStatus.INVALID_ARGUMENT,
  INVALID_TLS: GrpcStatus.INVALID_ARGUMENT,
  RATE_LIMITED: GrpcStatus.RESOURCE_EXHAUSTED,
  RING_BAD_HELLO: GrpcStatus.FAILED_PRECONDITION,
  RING_NOT_NEIGHBOUR: GrpcStatus.PERMISSION_DENIED,
  RING_STREAM_EXISTS: GrpcStatus.ALREADY_EXISTS,
  RING_MALFORMED_CHUNK: GrpcStatus.INVALID_ARGUMENT,
  RING_COLLECTIVE_MISMATCH: GrpcStatus.INVALID_ARGUMENT,
  RING_BUFFER_FULL: GrpcStatus.RESOURCE_EXHAUSTED,
  RING_PEER_LOST: GrpcStatus.UNAVAILABLE,
  RING_TIMEOUT: GrpcStatus.DEADLINE_EXCEEDED,
  RING_CLOSED: GrpcStatus.CANCELLED,
  MEMBERSHIP_CHANGED: GrpcStatus.ABORTED,
  EVICTED: GrpcStatus.NOT_FOUND,
  GROUP_FAILED: GrpcStatus.ABORTED,
  RECOVERY_TIMEOUT: GrpcStatus.DEADLINE_EXCEEDED,
  CHECKPOINT_REJECTED: GrpcStatus.INVALID_ARGUMENT,
  CHECKPOINT_TOO_LARGE: GrpcStatus.RESOURCE_EXHAUSTED,
  CHECKPOINT_UNAVAILABLE: GrpcStatus.FAILED_PRECONDITION,
  RPC_FAILED: GrpcStatus.UNKNOWN,
};

/**
 * Base class of every error the coordinator, its client and the ring throw on purpose.
 *
 * @example
 * ```ts
 * try { await client.join(request); }
 * catch (e) { if (e instanceof CoordinatorError && e.code === 'RANK_TAKEN') ... }
 * ```
 */
export class CoordinatorError extends LoomError {
  override readonly code: CoordinatorErrorCode;
  /** The gRPC status this error travels as. */
  readonly grpcStatus: GrpcStatus;

  constructor(code: CoordinatorErrorCode, message: string, help?: string, grpcStatus: GrpcStatus = GRPC_STATUS_OF[code]) {
    super(code, message, help);
    this.code = code;
    this.grpcStatus = grpcStatus;
  }
}

/**
 * Joining the group failed: version or signature mismatch, rank taken, timeout.
 *
 * @example
 * ```ts
 * throw new RendezvousError('RANK_TAKEN', 'Join: requested rank 1 is already taken by worker "w-b"');
 * ```
 */
export class RendezvousError extends CoordinatorError {}

/**
 * A ring collective failed: a malformed chunk, a lost neighbour, a timeout.
 *
 * @example
 * ```ts
 * ring.allReduce(grads).catch((e: RingError) => console.error(e.code, e.message));
 * ```
 */
export class RingError extends CoordinatorError {}

/**
 * Elastic training could not go on in this worker: it was removed from the group
 * (`EVICTED`), the group fell below `minWorkers` or was shut down (`GROUP_FAILED`), or
 * no new membership came after a ring failure (`RECOVERY_TIMEOUT`).
 * `MEMBERSHIP_CHANGED` is the recoverable one: the step in flight is abandoned and
 * redone at the new membership epoch.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof ElasticError && e.code === 'EVICTED') process.exitCode = 1; }
 * ```
 */
export class ElasticError extends CoordinatorError {}

/**
 * An option with a value that cannot work (`chunkBytes: -1`).
 *
 * @example
 * ```ts
 * new RingAllReduce({ chunkBytes: 0 }); // throws CoordinatorConfigError
 * ```
 */
export class CoordinatorConfigError extends CoordinatorError {
  constructor(message: string, help?: string) {
    super('INVALID_OPTION', message, help);
  }
}

/** Narrows a thrown value to an Error (the one place where `unknown` is narrowed). @internal */
export function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** Checks that `value` is an integer in [min, max]; names the option otherwise. @internal */
export function checkInteger(where: string, name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CoordinatorConfigError(`${where}: ${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}
