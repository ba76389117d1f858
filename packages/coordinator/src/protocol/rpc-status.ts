/**
 * Crossing the wire with typed errors: a server turns a `CoordinatorError` into a gRPC
 * status plus the `loom-error-code` trailing metadata; a client turns the status back
 * into the same class. Any other thrown value is narrowed here, in one place.
 */
import { Metadata, status as GrpcStatus, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { CoordinatorError, RendezvousError, RingError, asError, type CoordinatorErrorCode, GRPC_STATUS_OF } from '../errors';
import { ERROR_CODE_METADATA_KEY } from './protocol-version';

const RING_CODES = new Set<string>(Object.keys(GRPC_STATUS_OF).filter((c) => c.startsWith('RING_')));

/**
 * The status object a server handler passes to its callback (or `call.destroy`).
 *
 * @example
 * ```ts
 * callback(toStatus(new RendezvousError('RANK_TAKEN', 'rank 1 is taken')), null);
 * ```
 */
export function toStatus(e: unknown): Partial<StatusObject> {
  const error = asError(e);
  const metadata = new Metadata();
  if (error instanceof CoordinatorError) {
    metadata.set(ERROR_CODE_METADATA_KEY, error.code);
    return { code: error.grpcStatus, details: error.message, metadata };
  }
  // A bug on the server side: report it as INTERNAL with its message, never crash.
  return { code: GrpcStatus.INTERNAL, details: `internal error: ${error.message}`, metadata };
}

/**
 * Re-creates the server's typed error from a failed call (`RendezvousError`,
 * `RingError`), or a `CoordinatorError` with code `RPC_FAILED` for other failures
 * (coordinator unreachable, deadline exceeded on the client side). The gRPC status is
 * kept in `grpcStatus`.
 *
 * @example
 * ```ts
 * client.join(req).catch((e) => { throw fromServiceError(e, 'Join'); });
 * ```
 */
export function fromServiceError(e: unknown, rpc: string): CoordinatorError {
  const error = asError(e) as Partial<ServiceError>;
  const code = error.metadata?.get(ERROR_CODE_METADATA_KEY)[0];
  const details = error.details ?? error.message ?? String(e);
  if (typeof code === 'string' && code in GRPC_STATUS_OF) {
    const typed = code as CoordinatorErrorCode;
    if (RING_CODES.has(typed)) return new RingError(typed, details);
    return new RendezvousError(typed, details);
  }
  const statusName = error.code !== undefined ? GrpcStatus[error.code] : 'UNKNOWN';
  return new CoordinatorError('RPC_FAILED', `${rpc}: ${statusName}: ${details}`, undefined, error.code ?? GrpcStatus.UNKNOWN);
}
