/**
 * The messages the coordinator builds from a membership: a worker's `JoinResponse` and
 * the `MembershipChanged` event every member receives on `Control`.
 */
import type { ControlEvent, JoinResponse, ResumeCheckpoint } from '../protocol/messages';
import { PROTOCOL_VERSION } from '../protocol/protocol-version';
import { publicMember, ringNeighbours, type MemberRecord, type Membership } from '../rendezvous/membership';

/** What a JoinResponse carries besides the membership. */
export interface JoinSettings {
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  /** The job module a worker started without JOB loads. */
  jobPath?: string;
  /** Training flags, sent as JSON. */
  trainingConfig?: Record<string, unknown>;
  /** The checkpoint a resumed coordinator offers. */
  resumeCheckpoint?: ResumeCheckpoint | null;
}

/**
 * `member`'s JoinResponse: its rank, the members, its ring neighbours, its lease.
 *
 * @example
 * ```ts
 * joinResponse(membership, member, { heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 5000 }).left;
 * ```
 */
export function joinResponse(membership: Membership, member: MemberRecord, settings: JoinSettings): JoinResponse {
  const n = membership.members.length;
  const { left, right } = ringNeighbours(member.rank, n);
  return {
    rank: member.rank,
    worldSize: n,
    membershipEpoch: membership.epoch,
    members: membership.members.map(publicMember),
    left: publicMember(membership.members[left] as MemberRecord),
    right: publicMember(membership.members[right] as MemberRecord),
    leaseId: member.leaseId,
    heartbeatIntervalMs: settings.heartbeatIntervalMs,
    heartbeatTimeoutMs: settings.heartbeatTimeoutMs,
    protocolVersion: PROTOCOL_VERSION,
    jobSignature: membership.jobSignature,
    joinedRunning: false,
    jobPath: settings.jobPath ?? '',
    trainingConfigJson: settings.trainingConfig ? JSON.stringify(settings.trainingConfig) : '',
    resumeCheckpoint: settings.resumeCheckpoint ?? null,
  };
}

/** The Control event telling members of a new membership (`graceful`: nobody failed). */
export function membershipChangedEvent(membership: Membership, lostWorkerIds: string[], reason: string, graceful: boolean): ControlEvent {
  return {
    membershipEpoch: membership.epoch,
    membershipChanged: { membershipEpoch: membership.epoch, worldSize: membership.members.length, members: membership.members.map(publicMember), lostWorkerIds, reason, graceful },
  };
}
