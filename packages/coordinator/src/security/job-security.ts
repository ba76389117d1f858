/**
 * One job's security settings, turned into the options of each side: the coordinator
 * (auth hook, server credentials) and a worker (token metadata and TLS towards the
 * coordinator, and the same for its ring: an auth hook and credentials on its Peer
 * server, metadata and credentials on its call to the left neighbour).
 */
import type { ChannelCredentials, ServerCredentials } from '@grpc/grpc-js';
import { bearerTokenAuth, bearerTokenMetadata, type AuthHook, type MetadataProvider } from '../server/auth';
import { tlsChannelCredentials, tlsServerCredentials, type TlsMaterial } from './tls';

/** A job's shared token and TLS material (either, both or neither). */
export interface JobSecurity {
  token?: string | null;
  tls?: TlsMaterial | null;
}

/** The coordinator's share: spread into `CoordinatorServerOptions`. */
export interface CoordinatorSecurityOptions {
  authorize?: AuthHook;
  credentials?: ServerCredentials;
}

/** A worker's share: spread into `JoinGroupOptions` (client and ring options). */
export interface WorkerSecurityOptions {
  authorize?: AuthHook;
  metadata?: MetadataProvider;
  credentials?: ChannelCredentials;
  serverCredentials?: ServerCredentials;
  channelCredentials?: ChannelCredentials;
}

/**
 * The coordinator's options for `security`.
 *
 * @example
 * ```ts
 * new CoordinatorServer({ minWorkers: 2, host: '0.0.0.0', ...coordinatorSecurity({ token: readToken() }) });
 * ```
 */
export function coordinatorSecurity(security: JobSecurity): CoordinatorSecurityOptions {
  return {
    ...(security.token ? { authorize: bearerTokenAuth(security.token) } : {}),
    ...(security.tls ? { credentials: tlsServerCredentials(security.tls) } : {}),
  };
}

/**
 * A worker's options for `security`: the token is sent to the coordinator and to the
 * left neighbour and demanded from the right one; the certificate serves the Peer
 * server and identifies the worker to the coordinator and to its left neighbour.
 *
 * @example
 * ```ts
 * await joinGroup({ coordinator, jobSignature, ...workerSecurity({ token: readToken() }) });
 * ```
 */
export function workerSecurity(security: JobSecurity): WorkerSecurityOptions {
  const out: WorkerSecurityOptions = {};
  if (security.token) {
    out.authorize = bearerTokenAuth(security.token);
    out.metadata = bearerTokenMetadata(security.token);
  }
  if (security.tls) {
    const channel = tlsChannelCredentials(security.tls);
    out.credentials = channel;
    out.channelCredentials = channel;
    out.serverCredentials = tlsServerCredentials(security.tls);
  }
  return out;
}

/**
 * Names the protection in words for logs and `config.json` (never the token itself).
 *
 * @example
 * ```ts
 * describeSecurity({ token: t, tls: null }); // 'token'
 * ```
 */
export function describeSecurity(security: JobSecurity): string {
  const parts = [security.token ? 'token' : null, security.tls ? (security.tls.ca ? 'mutual TLS' : 'TLS') : null].filter((p) => p !== null);
  return parts.length > 0 ? parts.join(' + ') : 'none (loopback only)';
}
