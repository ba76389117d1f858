/**
 * The authentication hook of both services. Every handler of the coordinator and of
 * a worker's `Peer` server calls it first, with the call's metadata, so tokens, TLS
 * client identities or allow-lists plug in without touching the protocol. By default
 * there is no hook (and both servers bind 127.0.0.1 only).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { Metadata } from '@grpc/grpc-js';
import { CoordinatorError } from '../errors';

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
 * const authorize: AuthHook = ({ metadata }) => {
 *   if (metadata.get('authorization')[0] !== 'Bearer s3cret') throw new CoordinatorError('UNAUTHENTICATED', 'bad token');
 * };
 * ```
 */
export type AuthHook = (context: CallContext) => void | Promise<void>;

/** Produces the metadata a client attaches to every call (the counterpart of {@link AuthHook}). */
export type MetadataProvider = () => Metadata;

const AUTHORIZATION = 'authorization';
const BEARER = 'Bearer ';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * A hook accepting calls that carry `authorization: Bearer <token>`, compared in
 * constant time (the token is hashed first so lengths do not leak either).
 *
 * @example
 * ```ts
 * new CoordinatorServer({ minWorkers: 2, authorize: bearerTokenAuth(process.env.LOOM_TOKEN!) });
 * ```
 */
export function bearerTokenAuth(token: string): AuthHook {
  const expected = digest(token);
  return ({ service, method, metadata }) => {
    const header = metadata.get(AUTHORIZATION)[0];
    const presented = typeof header === 'string' && header.startsWith(BEARER) ? header.slice(BEARER.length) : '';
    if (!timingSafeEqual(digest(presented), expected)) {
      throw new CoordinatorError('UNAUTHENTICATED', `${service}.${method}: missing or wrong bearer token`, 'pass the job\'s token to every worker (the same token the coordinator was started with)');
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
    metadata.set(AUTHORIZATION, `${BEARER}${token}`);
    return metadata;
  };
}
