/**
 * Admitting a worker into a group that is already training (issue 7, fault 3). The
 * new member takes the next rank at a new membership epoch; the others hear of it on
 * Control, abandon the step in flight (nothing of it was applied), re-form the ring
 * with it and send it their state, so it starts at the next step boundary with the
 * group's parameters and optimizer state and takes a share of every later batch.
 */
import { randomBytes } from 'node:crypto';
import { RendezvousError } from '../errors';
import type { JoinRequest } from '../protocol/messages';
import { PROTOCOL_VERSION } from '../protocol/protocol-version';
import type { MemberRecord, Membership } from './membership';

/** Bytes of randomness in a lease id (as the rendezvous's). */
const LEASE_ID_BYTES = 16;

/**
 * The membership with `request`'s worker added, or a `RendezvousError` saying why it
 * cannot be admitted (version, signature, full group, a worker id in use or removed).
 *
 * @example
 * ```ts
 * const { membership, member } = admitIntoRunning(current, request, { maxWorkers: 4, removed });
 * ```
 */
export function admitIntoRunning(current: Membership, r: JoinRequest, limits: { maxWorkers: number; removed: ReadonlySet<string> }): { membership: Membership; member: MemberRecord } {
  const who = `Join from worker "${r.workerId}"`;
  if (r.protocolVersion !== PROTOCOL_VERSION) {
    throw new RendezvousError('PROTOCOL_VERSION_MISMATCH', `${who}: protocol version ${r.protocolVersion}, the coordinator speaks ${PROTOCOL_VERSION}`, 'run the same Loom version on the coordinator and every worker');
  }
  if (!r.workerId) throw new RendezvousError('INVALID_JOIN', 'Join: worker_id is empty, expected a unique name such as "host:pid"');
  if (!r.peerAddress) throw new RendezvousError('INVALID_JOIN', `${who}: peer_address is empty, expected the "host:port" of the worker's Peer server`);
  if (r.jobSignature && r.jobSignature !== current.jobSignature) {
    throw new RendezvousError('JOB_SIGNATURE_MISMATCH', `${who}: job signature "${r.jobSignature}", the running group's is "${current.jobSignature}"`, 'every worker must run the same job with the same model (parameter names and shapes)');
  }
  if (current.members.some((m) => m.workerId === r.workerId) || limits.removed.has(r.workerId)) {
    throw new RendezvousError('WORKER_ID_TAKEN', `${who}: worker id "${r.workerId}" is${limits.removed.has(r.workerId) ? ' a removed member' : ' already a member'}`, 'a removed worker is not re-admitted under its old id: start a new worker process');
  }
  if (current.members.length >= limits.maxWorkers) {
    throw new RendezvousError('RENDEZVOUS_CLOSED', `${who}: the running group already has maxWorkers=${limits.maxWorkers} workers (membership epoch ${current.epoch})`, 'raise --max-workers to let more workers join a running job');
  }
  const member: MemberRecord = { rank: current.members.length, workerId: r.workerId, peerAddress: r.peerAddress, hostname: r.hostname, leaseId: randomBytes(LEASE_ID_BYTES).toString('hex') };
  // A worker of an earlier incarnation of this job (coordinator restarted) keeps its ring at its epoch: go above it.
  const epoch = Math.max(current.epoch, r.rejoinEpoch ?? 0) + 1;
  return { membership: { epoch, members: [...current.members, member], jobSignature: current.jobSignature }, member };
}
