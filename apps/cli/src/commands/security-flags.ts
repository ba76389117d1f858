/**
 * The security flags of `loom coordinator` and `loom worker`: the shared token (from
 * `--token-file` or `LOOM_TOKEN`, never from argv, which `ps` shows to every user),
 * TLS files, the coordinator's limits, and the worker's Peer server address. They
 * resolve into @loom/coordinator options; a bad value, or a reachable address without
 * a token or mutual TLS, is a usage error (exit 2) that never quotes the token.
 */
import { CoordinatorError, DEFAULT_HEARTBEAT_RATE, DEFAULT_JOIN_RATE, DEFAULT_MAX_MESSAGE_BYTES, TOKEN_ENV, checkExposure, coordinatorSecurity, loadTls, readToken, type CoordinatorLimits, type JobSecurity } from '@loom/coordinator';
import * as fs from 'node:fs';
import { UsageError, type FlagSpec } from '../args/flags';

/** Loopback unless asked: listening elsewhere exposes the job to the network. */
export const DEFAULT_BIND_HOST = '127.0.0.1';

/** Token and TLS flags, shared by the coordinator and the workers. */
export const SECURITY_FLAGS: Record<string, FlagSpec> = {
  'token-file': { type: 'string', help: `file holding the job's shared token (or set ${TOKEN_ENV}); needed off loopback unless TLS has --tls-ca`, defaultText: `$${TOKEN_ENV}, else none` },
  'tls-cert': { type: 'string', help: 'PEM certificate of this process: turns on TLS' },
  'tls-key': { type: 'string', help: 'PEM private key of --tls-cert' },
  'tls-ca': { type: 'string', help: "PEM certificate of the job's CA: mutual TLS (peers must present a certificate it signed)" },
};

/** Bounds of `--max-message-bytes`: CoordinatorServer's own check (grpc-js keeps lengths in an int32). */
const MESSAGE_BYTES_RANGE = { min: 1024, max: 2 ** 31 - 1 };
/** Upper bound of the rate flags: far above any honest use, it only catches typos. */
const MAX_RATE_PER_SECOND = 1_000_000;

/** The coordinator's limits. */
export const COORDINATOR_LIMIT_FLAGS: Record<string, FlagSpec> = {
  'max-message-bytes': { type: 'int', ...MESSAGE_BYTES_RANGE, help: 'largest gRPC message the coordinator receives or sends', defaultText: `${DEFAULT_MAX_MESSAGE_BYTES} (4 MiB)` },
  'join-rate': { type: 'int', min: 1, max: MAX_RATE_PER_SECOND, help: `Join calls per second per client address (bursts of ${DEFAULT_JOIN_RATE.burst})`, defaultText: String(DEFAULT_JOIN_RATE.perSecond) },
  'heartbeat-rate': { type: 'int', min: 1, max: MAX_RATE_PER_SECOND, help: `Heartbeat calls per second per client address (bursts of ${DEFAULT_HEARTBEAT_RATE.burst})`, defaultText: String(DEFAULT_HEARTBEAT_RATE.perSecond) },
};

/** The worker's Peer server address, and the token and TLS flags. */
export const WORKER_SECURITY_FLAGS: Record<string, FlagSpec> = {
  host: { type: 'string', help: "address this worker's Peer server binds and gives the ring (reachable from the other workers)", defaultText: DEFAULT_BIND_HOST },
  'peer-port': { type: 'int', min: 0, max: 65535, help: "port of this worker's Peer server (0: any free port; fix it to open it in a firewall)", defaultText: '0' },
  ...SECURITY_FLAGS,
};

type Flags = Record<string, string | number | boolean>;

/** A typed configuration error as a usage error: same message and help. */
function asUsage(e: unknown): unknown {
  return e instanceof CoordinatorError ? new UsageError(e.message) : e;
}

/**
 * The token and TLS material the flags (and `LOOM_TOKEN` in `env`) name, checked
 * against the address this process listens on: `--host` off loopback needs a token or
 * mutual TLS.
 *
 * @example
 * ```ts
 * const security = resolveSecurityFlags(args.flags, host);
 * new CoordinatorServer({ minWorkers, host, ...coordinatorSecurity(security) });
 * ```
 */
export function resolveSecurityFlags(flags: Flags, host: string, env: NodeJS.ProcessEnv = process.env, warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): JobSecurity {
  const file = flags['token-file'] as string | undefined;
  if (file !== undefined) warnIfShared(file, warn);
  try {
    const security: JobSecurity = {
      token: readToken({ file: flags['token-file'] as string | undefined, env }),
      tls: loadTls({ cert: flags['tls-cert'] as string | undefined, key: flags['tls-key'] as string | undefined, ca: flags['tls-ca'] as string | undefined }),
    };
    checkExposure(`--host ${host}`, host, coordinatorSecurity(security));
    return security;
  } catch (e) {
    throw asUsage(e);
  }
}

/** Group and other permission bits: a token file with any of them is readable beyond its owner. */
const SHARED_MODE_BITS = 0o077;

/** Warns (as ssh does for keys, without refusing: mounted secrets are often 0644) when others may read the token file. */
function warnIfShared(file: string, warn: (line: string) => void): void {
  let mode: number;
  try {
    mode = fs.statSync(file).mode;
  } catch {
    return; // readToken reports the missing file
  }
  if ((mode & SHARED_MODE_BITS) !== 0) warn(`[loom] warning: token file '${file}' is readable by other users (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
}

/**
 * The coordinator's limits from its flags (defaults where a flag is absent).
 *
 * @example
 * ```ts
 * new CoordinatorServer({ minWorkers, ...coordinatorLimits(flags) });
 * ```
 */
export function coordinatorLimits(flags: Flags): CoordinatorLimits {
  const join = flags['join-rate'] as number | undefined;
  const heartbeat = flags['heartbeat-rate'] as number | undefined;
  return {
    maxMessageBytes: flags['max-message-bytes'] as number | undefined,
    ...(join !== undefined ? { joinRate: { perSecond: join, burst: DEFAULT_JOIN_RATE.burst } } : {}),
    ...(heartbeat !== undefined ? { heartbeatRate: { perSecond: heartbeat, burst: DEFAULT_HEARTBEAT_RATE.burst } } : {}),
  };
}

/** Addresses that mean "every interface": fine to bind, useless to give to others. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

/**
 * The worker's `--host` and `--peer-port`: where its Peer server listens. The host is
 * also what the coordinator hands to its right neighbour, so it must be one the other
 * workers can dial, not a wildcard.
 *
 * @example
 * ```ts
 * peerBind({ host: '10.0.0.7', 'peer-port': 29501 }); // { host: '10.0.0.7', port: 29501 }
 * ```
 */
export function peerBind(flags: Flags): { host: string; port: number } {
  const host = (flags['host'] as string | undefined) ?? DEFAULT_BIND_HOST;
  if (WILDCARD_HOSTS.has(host)) {
    throw new UsageError(`--host: invalid value '${host}': the ring gives this address to the other workers, so it must be one they can reach (this machine's IP address or name), not a wildcard`);
  }
  return { host, port: (flags['peer-port'] as number | undefined) ?? 0 };
}
