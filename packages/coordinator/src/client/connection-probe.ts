/**
 * Why a channel never connected. A call that waits for the channel (`waitForReady`,
 * as `Join` does while the coordinator starts, and the ring while its left neighbour
 * does) ends with DEADLINE_EXCEEDED and no reason when the server is reachable but
 * every TLS handshake fails, or nothing listens. grpc-js keeps the last connection
 * error only for calls that fail fast, so one probe without waitForReady, to a method
 * no Loom server implements, fetches it.
 */
import { status as GrpcStatus, connectivityState, type Client, type ServiceError } from '@grpc/grpc-js';
import { CoordinatorError } from '../errors';

/** How often a call waiting for its channel checks why the channel is not connected. */
export const CONNECTION_CHECK_MS = 1_000;

/** An unregistered method: a server that is reachable answers UNIMPLEMENTED, harmlessly. */
const PROBE_PATH = '/loom.v1.ConnectionProbe/Probe';
const PROBE_TIMEOUT_MS = 2_000;

/**
 * The reason `client`'s channel is not connected (grpc-js's "No connection
 * established. Last error: ..."), or null when it is, or the probe got through.
 */
export function whyNotConnected(client: Client): Promise<string | null> {
  return new Promise((resolve) => {
    try {
      if (client.getChannel().getConnectivityState(false) === connectivityState.READY) return resolve(null);
      client.makeUnaryRequest(
        PROBE_PATH,
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        { deadline: Date.now() + PROBE_TIMEOUT_MS },
        (error: ServiceError | null) => resolve(error?.code === GrpcStatus.UNAVAILABLE ? withoutEmptyNote(error.details) : null),
      );
    } catch {
      // A closed channel refuses new calls: there is nothing more to learn.
      resolve(null);
    }
  });
}

/**
 * grpc-js's text without its noise: an empty ". Resolution note: " at the end, and the
 * time of the attempt ("Failed to connect (2026-...Z)"), so that one reason reads the
 * same at every check.
 */
function withoutEmptyNote(details: string): string {
  return details
    .replace(/\s*\(\d{4}-\d\d-\d\dT[\d:.]+Z\)/g, '')
    .replace(/\.?\s*Resolution note:\s*$/, '')
    .trim();
}

/** Whether a connection error is a failed TLS handshake: configuration, not a server still starting. */
export function isHandshakeFailure(reason: string): boolean {
  return /certificate|ssl|tls|handshake|wrong version number|alert/i.test(reason);
}

/**
 * What to check, judging by the connection error's text; `peer` names the server
 * ("the coordinator", "the left neighbour").
 */
export function connectionHelp(reason: string, peer: string): string {
  if (isHandshakeFailure(reason)) {
    return `the TLS handshake with ${peer} failed: give every process the job's CA (--tls-ca) and a certificate it signed for the name or address that is dialled (--tls-cert/--tls-key); a coordinator without TLS needs workers without TLS, and the reverse`;
  }
  return `check that ${peer} runs and listens at this address, and that the port is reachable from this machine`;
}

/**
 * `deadline` (a DEADLINE_EXCEEDED of a call to `address`) with the reason the
 * channel never connected and what to check; kept as DEADLINE_EXCEEDED.
 */
export function deadlineWithReason(deadline: CoordinatorError, address: string, reason: string): CoordinatorError {
  return new CoordinatorError('RPC_FAILED', `${deadline.message}; it never connected to the coordinator at ${address}: ${reason}`, connectionHelp(reason, 'the coordinator'), deadline.grpcStatus);
}

/**
 * Watches a call that waits for `client`'s channel: while the channel is not connected,
 * asks why every {@link CONNECTION_CHECK_MS}. A refused or unreachable address is
 * reported once per reason through `onWaiting` (the server may still be starting);
 * a failed TLS handshake, which waiting cannot mend, goes to `onHandshakeFailure` at
 * once. Returns the function that stops watching.
 */
export function watchConnection(client: Client, hooks: { onWaiting: (reason: string) => void; onHandshakeFailure: (reason: string) => void }): () => void {
  let reported = '';
  let probing = false;
  let stopped = false;
  const timer = setInterval(() => {
    if (probing) return;
    probing = true;
    void whyNotConnected(client).then((reason) => {
      probing = false;
      if (!reason || stopped) return;
      if (isHandshakeFailure(reason)) return hooks.onHandshakeFailure(reason);
      if (reason !== reported) hooks.onWaiting((reported = reason));
    });
  }, CONNECTION_CHECK_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
