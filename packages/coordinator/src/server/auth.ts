/**
 * The authentication hook of both services. Every handler of the coordinator and of
 * a worker's `Peer` server calls it first, with the call's metadata, so tokens, TLS
 * client identities or allow-lists plug in without touching the protocol. By default
 * there is no hook, and then both servers bind only a loopback address (see
 * `security/exposure.ts`).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { Metadata } from '@grpc/grpc-js';
import { CoordinatorError } from '../errors';
import { TOKEN_ENV, checkToken } from '../security/token';

/** What an {@link AuthHook} sees of a call. */
export interface CallContext {
  /** `'Coordinator'` or `'Peer'`. */
  service: string;
  /** The RPC's name, for example `'Join'`. */
  method: string;
  /** The request headers (`authorization`, ...). */
  metadata: Metadata;
  /** The caller's address as grpc-js reports it. */
  peer: string;
}

/**
 * Decides whether a call may proceed: return to accept, throw a `CoordinatorError`
 * with code `UNAUTHENTICATED` to refuse (the call then fails with that status).
 *
 * @example
 * ```ts
 * // Only hosts of a private subnet (on top of a token or TLS, not instead of them).
 * const authorize: AuthHook = ({ service, method, peer }) => {
 *   if (!peer.startsWith('10.1.')) throw new CoordinatorError('UNAUTHENTICATED', `${service}.${method}: ${peer} is not allowed`);
 * };
 * ```
 */
export type AuthHook = (context: CallContext) => void | Promise<void>;

/** Produces the metadata a client attaches to every call (the counterpart of {@link AuthHook}). */
export type MetadataProvider = () => Metadata;

/** The metadata key of the token (HTTP's `Authorization` header, lower-cased as gRPC sends it). */
export const AUTHORIZATION_METADATA_KEY = 'authorization';
/** RFC 6750's scheme; matched without regard to case, as the RFC asks. */
const BEARER = 'bearer ';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The token a call presents, or null when it has no `authorization: Bearer ...` header. */
function presentedToken(metadata: Metadata): string | null {
  const header = metadata.get(AUTHORIZATION_METADATA_KEY)[0];
  if (typeof header !== 'string' || header.slice(0, BEARER.length).toLowerCase() !== BEARER) return null;
  return header.slice(BEARER.length);
}

/**
 * A hook accepting calls that carry `authorization: Bearer <token>`. Both tokens are
 * hashed with SHA-256 and the digests compared with `timingSafeEqual`: equal-length
 * inputs, so neither the content nor the length of the token leaks through timing.
 * Refusals are `UNAUTHENTICATED` and never quote a token.
 *
 * @example
 * ```ts
 * new CoordinatorServer({ minWorkers: 2, authorize: bearerTokenAuth(readToken()!) });
 * ```
 */
export function bearerTokenAuth(token: string): AuthHook {
  // An empty expected token would accept a call with an empty one: refuse it here.
  const expected = digest(checkToken(token, 'bearerTokenAuth'));
  const help = `pass the job's token to every worker (--token-file or ${TOKEN_ENV}), the same one the coordinator was started with`;
  return ({ service, method, metadata, peer }) => {
    const presented = presentedToken(metadata);
    if (presented === null) {
      throw new CoordinatorError('UNAUTHENTICATED', `${service}.${method}: call from ${peer} has no "authorization: Bearer <token>" metadata`, help);
    }
    if (!timingSafeEqual(digest(presented), expected)) {
      throw new CoordinatorError('UNAUTHENTICATED', `${service}.${method}: call from ${peer} has a wrong bearer token`, help);
    }
  };
}

/**
 * The client side of {@link bearerTokenAuth}.
 *
 * @example
 * ```ts
 * new CoordinatorClient(address, { metadata: bearerTokenMetadata(token) });
 * ```
 */
export function bearerTokenMetadata(token: string): MetadataProvider {
  return () => {
    const metadata = new Metadata();
    metadata.set(AUTHORIZATION_METADATA_KEY, `Bearer ${token}`);
    return metadata;
  };
}
