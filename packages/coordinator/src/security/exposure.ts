/**
 * The bind rule of issue 7: a server (the coordinator, or a worker's Peer server) may
 * listen on a loopback address with no protection, since only this machine reaches it;
 * on any other address it needs an auth hook (a shared token) or mutual TLS. TLS
 * without a client CA encrypts but lets anyone in, so it does not count.
 */
import { isIP } from 'node:net';
import type { ServerCredentials } from '@grpc/grpc-js';
import { CoordinatorError } from '../errors';
import type { AuthHook } from '../server/auth';
import { TOKEN_ENV } from './token';
import { verifiesClients } from './tls';

/**
 * Refusal to listen on a reachable address without a token or mutual TLS.
 *
 * @example
 * ```ts
 * checkExposure('CoordinatorServer', '0.0.0.0', {}); // throws InsecureBindError
 * ```
 */
export class InsecureBindError extends CoordinatorError {
  constructor(message: string, help?: string) {
    super('INSECURE_BIND', message, help);
  }
}

/**
 * Whether `host` is reachable from this machine only: `localhost`, 127.0.0.0/8, `::1`
 * (bracketed or not) and IPv4-mapped loopback.
 *
 * @example
 * ```ts
 * isLoopback('127.0.0.1'); // true
 * isLoopback('0.0.0.0');   // false: every interface
 * ```
 */
export function isLoopback(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === 'localhost') return true;
  const v4 = bare.toLowerCase().startsWith('::ffff:') ? bare.slice('::ffff:'.length) : bare;
  if (isIP(v4) === 4) return v4.split('.')[0] === '127';
  return isIP(bare) === 6 && /^(0{0,4}:){2,7}0{0,3}1$|^::1$/.test(bare);
}

/** What protects a server. */
export interface Protection {
  authorize?: AuthHook;
  credentials?: ServerCredentials;
}

/**
 * Throws an {@link InsecureBindError} unless `host` is loopback, or the server has an
 * auth hook, or TLS that verifies clients. TLS credentials built outside
 * `tlsServerCredentials` are trusted to do so.
 *
 * @example
 * ```ts
 * checkExposure('Peer server', host, { authorize: bearerTokenAuth(token) });
 * ```
 */
export function checkExposure(where: string, host: string, protection: Protection): void {
  if (isLoopback(host) || protection.authorize) return;
  const clientCheck = protection.credentials ? verifiesClients(protection.credentials) : false;
  if (clientCheck !== false) return;
  const tlsOnly = protection.credentials?._isSecure() === true;
  throw new InsecureBindError(
    `${where}: refusing to listen on ${host} ${tlsOnly ? 'with TLS but no client CA, which lets any client in' : 'without a token or TLS'}: anyone who can reach it could join the job, read its parameters and send it gradients`,
    `give every process of the job the same token (--token-file FILE or the ${TOKEN_ENV} environment variable; in code authorize: bearerTokenAuth(token) and metadata: bearerTokenMetadata(token)), or mutual TLS (--tls-cert, --tls-key and --tls-ca), or listen on 127.0.0.1`,
  );
}
