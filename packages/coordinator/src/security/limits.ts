/**
 * Bounds on what one client can make the coordinator do: the size of a message
 * either way, and how often each client address may call `Join` and `Heartbeat`. A
 * refused call gets RESOURCE_EXHAUSTED (`RATE_LIMITED`, or grpc-js's own message for
 * an oversized message) and costs the server nothing more: the limits are enforced by
 * a server interceptor, before the request reaches a handler.
 */
import { Metadata, ServerInterceptingCall, status as GrpcStatus, type ServerInterceptor, type ServerOptions } from '@grpc/grpc-js';
import { checkInteger, CoordinatorConfigError } from '../errors';
import { ERROR_CODE_METADATA_KEY } from '../protocol/protocol-version';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../ring/ring-options';

/** A token bucket: `perSecond` calls on average, up to `burst` at once. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

/**
 * Joins per client address: bursts of 128 cover `loom launch` at its largest (64
 * workers per node) joining twice; 10/s more cover restarts. A local choice.
 */
export const DEFAULT_JOIN_RATE: RateLimit = { perSecond: 10, burst: 128 };
/**
 * Heartbeats per client address: 500/s is 500 workers behind one address at the
 * default 1 s interval (or 25 at 50 ms). Far above honest use, since a legitimate beat
 * refused could get its worker declared dead. A local choice.
 */
export const DEFAULT_HEARTBEAT_RATE: RateLimit = { perSecond: 500, burst: 1000 };
/** Client addresses a limiter remembers at most: bounds its memory (about 1 MB). */
export const MAX_TRACKED_CLIENTS = 10_000;

/** The coordinator's limits (all optional; defaults above and `DEFAULT_MAX_MESSAGE_BYTES`). */
export interface CoordinatorLimits {
  /** Largest message received or sent, in bytes (default 4 MiB, gRPC's default). */
  maxMessageBytes?: number;
  /** `Join` calls per client address (default 10/s, burst 128). */
  joinRate?: RateLimit;
  /** `Heartbeat` calls per client address (default 500/s, burst 1000). */
  heartbeatRate?: RateLimit;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets keyed by client.
 *
 * @example
 * ```ts
 * const limiter = new RateLimiter({ perSecond: 1, burst: 2 });
 * limiter.take('10.0.0.5'); // true, true, then false until a second has passed
 * ```
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {
    if (!(limit.perSecond > 0) || !Number.isFinite(limit.perSecond)) throw new CoordinatorConfigError(`RateLimiter: perSecond must be a positive number, got ${limit.perSecond}`);
    checkInteger('RateLimiter', 'burst', limit.burst, 1);
  }

  /** Takes one token from `key`'s bucket; false when it is empty. */
  take(key: string): boolean {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.limit.burst, at: now };
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.limit.perSecond);
    bucket.at = now;
    if (this.buckets.size >= MAX_TRACKED_CLIENTS && !this.buckets.has(key)) this.makeRoom(now);
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /**
   * Forgets clients whose bucket has refilled (they are indistinguishable from new
   * ones), and if all are busy, the longest-known one: memory stays bounded even when
   * a flood comes from many addresses.
   */
  private makeRoom(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.limit.perSecond >= this.limit.burst) this.buckets.delete(key);
    }
    const oldest = this.buckets.keys().next();
    if (this.buckets.size >= MAX_TRACKED_CLIENTS && !oldest.done) this.buckets.delete(oldest.value);
  }

  /** Number of clients tracked (bounded by `MAX_TRACKED_CLIENTS`). */
  get trackedClients(): number {
    return this.buckets.size;
  }
}

/** The client's address without its port: one host opening many connections is one client. */
function clientOf(call: { getPeer(): string; getConnectionInfo(): { remoteAddress?: string } }): string {
  return call.getConnectionInfo().remoteAddress ?? call.getPeer();
}

/**
 * A server interceptor limiting the calls of the methods named in `limits` (full
 * paths, `/loom.v1.Coordinator/Join`) per client address.
 *
 * @example
 * ```ts
 * new Server({ interceptors: [rateLimitInterceptor({ '/loom.v1.Coordinator/Join': DEFAULT_JOIN_RATE })] });
 * ```
 */
export function rateLimitInterceptor(limits: Record<string, RateLimit>): ServerInterceptor {
  const limiters = new Map(Object.entries(limits).map(([path, limit]) => [path, new RateLimiter(limit)]));
  return (method, call) => {
    const limiter = limiters.get(method.path);
    if (!limiter) return new ServerInterceptingCall(call);
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, forward) => {
            const client = clientOf(call);
            if (limiter.take(client)) return forward(metadata);
            const trailers = new Metadata();
            trailers.set(ERROR_CODE_METADATA_KEY, 'RATE_LIMITED');
            const { perSecond, burst } = limiter.limit;
            call.sendStatus({
              code: GrpcStatus.RESOURCE_EXHAUSTED,
              details: `${method.path.slice(1).replace('/', '.')}: client ${client} exceeded the rate limit of ${perSecond} calls/s (burst ${burst}); try again later or raise the coordinator's limit`,
              metadata: trailers,
            });
          },
        }),
    });
  };
}

/**
 * The grpc-js server options that enforce `limits` on the Coordinator service.
 *
 * @example
 * ```ts
 * const server = new Server(coordinatorServerOptions({ maxMessageBytes: 1 << 20 }));
 * ```
 */
export function coordinatorServerOptions(limits: CoordinatorLimits): ServerOptions {
  const maxMessageBytes = checkInteger('CoordinatorServer', 'maxMessageBytes', limits.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, 1024, 2 ** 31 - 1);
  return {
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
    interceptors: [
      rateLimitInterceptor({
        '/loom.v1.Coordinator/Join': limits.joinRate ?? DEFAULT_JOIN_RATE,
        '/loom.v1.Coordinator/Heartbeat': limits.heartbeatRate ?? DEFAULT_HEARTBEAT_RATE,
      }),
    ],
  };
}
