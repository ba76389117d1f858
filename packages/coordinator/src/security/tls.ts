/**
 * TLS for both services from PEM files: a certificate and key for this process (the
 * coordinator's server certificate, or a worker's, which serves its Peer server and
 * identifies it as a client), and optionally a CA. With a CA, TLS is mutual: servers
 * demand a client certificate signed by it, and clients accept only servers whose
 * certificate it signed and names the address they dialled (gRPC's host name check),
 * so a worker takes gradients only from the neighbour the coordinator named.
 */
import * as fs from 'node:fs';
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { ServerCredentials, credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { CoordinatorError } from '../errors';

/** Paths of the PEM files (the `--tls-cert`, `--tls-key`, `--tls-ca` flags). */
export interface TlsFiles {
  cert?: string;
  key?: string;
  /** The CA that signed every certificate of the job; turns on mutual TLS. */
  ca?: string;
}

/** The PEM contents, checked: a certificate, its key, and the CA when given. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca: Buffer | null;
}

/**
 * Unusable TLS settings: a missing or unreadable file, a key that does not match the
 * certificate, an expired certificate, a CA without a certificate.
 *
 * @example
 * ```ts
 * try { loadTls({ cert: 'a.pem' }); } catch (e) { if (e instanceof TlsConfigError) console.error(e.message); }
 * ```
 */
export class TlsConfigError extends CoordinatorError {
  constructor(message: string, help?: string) {
    super('INVALID_TLS', message, help);
  }
}

const HELP = 'give --tls-cert and --tls-key (PEM) together, and --tls-ca for mutual TLS; README "Security" shows how to make them with openssl';

function read(what: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new TlsConfigError(`${what} '${file}' cannot be read (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`, HELP);
  }
}

function parseCertificate(what: string, file: string, pem: Buffer): X509Certificate {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch (e) {
    throw new TlsConfigError(`${what} '${file}' is not a PEM certificate: ${(e as Error).message}`, HELP);
  }
  if (Date.parse(certificate.validTo) < Date.now()) throw new TlsConfigError(`${what} '${file}' expired on ${certificate.validTo}`, 'issue a new certificate');
  return certificate;
}

/**
 * Reads and checks the files; null when none is given. Problems surface here, at
 * start-up, with the file named, instead of as a failed handshake later.
 *
 * @example
 * ```ts
 * const tls = loadTls({ cert: 'worker.pem', key: 'worker.key', ca: 'ca.pem' });
 * ```
 */
export function loadTls(files: TlsFiles): TlsMaterial | null {
  if (files.cert === undefined && files.key === undefined && files.ca === undefined) return null;
  if (files.cert === undefined || files.key === undefined) {
    const missing = files.cert === undefined ? '--tls-cert' : '--tls-key';
    throw new TlsConfigError(`TLS: ${missing} is missing: every coordinator and worker serves TLS with its own certificate and key`, HELP);
  }
  const cert = read('--tls-cert', files.cert);
  const key = read('--tls-key', files.key);
  const certificate = parseCertificate('--tls-cert', files.cert, cert);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (e) {
    throw new TlsConfigError(`--tls-key '${files.key}' is not a PEM private key: ${(e as Error).message}`, HELP);
  }
  if (!certificate.checkPrivateKey(privateKey)) throw new TlsConfigError(`--tls-key '${files.key}' does not belong to --tls-cert '${files.cert}'`, HELP);
  let ca: Buffer | null = null;
  if (files.ca !== undefined) {
    ca = read('--tls-ca', files.ca);
    parseCertificate('--tls-ca', files.ca, ca);
  }
  return { cert, key, ca };
}

/** Server credentials built here, and whether each asks clients for a certificate. */
const builtHere = new WeakMap<ServerCredentials, boolean>();

/**
 * Server credentials: TLS with this certificate; with a CA, clients must present a
 * certificate it signed (mutual TLS).
 *
 * @example
 * ```ts
 * new CoordinatorServer({ minWorkers: 2, host: '0.0.0.0', credentials: tlsServerCredentials(tls) });
 * ```
 */
export function tlsServerCredentials(tls: TlsMaterial): ServerCredentials {
  const server = ServerCredentials.createSsl(tls.ca, [{ cert_chain: tls.cert, private_key: tls.key }], tls.ca !== null);
  builtHere.set(server, tls.ca !== null);
  return server;
}

/**
 * Channel credentials: presents this certificate and checks the server's against the
 * CA (the system's CAs when there is none) and against the address dialled.
 *
 * @example
 * ```ts
 * new CoordinatorClient(address, { credentials: tlsChannelCredentials(tls) });
 * ```
 */
export function tlsChannelCredentials(tls: TlsMaterial): ChannelCredentials {
  return credentials.createSsl(tls.ca, tls.key, tls.cert);
}

/**
 * Whether `server` authenticates its clients: true for mutual TLS, false for insecure
 * credentials or TLS built here without a CA, null for TLS credentials built elsewhere
 * (they may or may not check clients; their maker decides).
 *
 * @example
 * ```ts
 * verifiesClients(ServerCredentials.createInsecure()); // false
 * ```
 */
export function verifiesClients(server: ServerCredentials): boolean | null {
  if (!server._isSecure()) return false;
  return builtHere.get(server) ?? null;
}
