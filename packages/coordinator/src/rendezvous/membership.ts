/**
 * The group's membership: who is in it, at which rank, at which epoch. Ranks are
 * always 0..N-1; when members leave, the survivors keep their relative order and are
 * renumbered (the ring re-forms at the next epoch, see issue 7).
 */
import type { Member } from '../protocol/messages';

/** A member as the coordinator tracks it. */
export interface MemberRecord extends Member {
  /** Opaque id of this admission (`JoinResponse.lease_id`). */
  leaseId: string;
  hostname: string;
}

/** A snapshot of the group. */
export interface Membership {
  /** 1 when formed by rendezvous, +1 at every change. */
  epoch: number;
  /** Sorted by rank; `members[i].rank === i`. */
  members: MemberRecord[];
  jobSignature: string;
}

/**
 * The left (receives from) and right (sends to) neighbours of `rank`.
 *
 * @example
 * ```ts
 * ringNeighbours(0, 3); // { left: 2, right: 1 }
 * ```
 */
export function ringNeighbours(rank: number, worldSize: number): { left: number; right: number } {
  return { left: (rank + worldSize - 1) % worldSize, right: (rank + 1) % worldSize };
}

/**
 * The membership after removing `workerIds`: survivors renumbered in rank order,
 * epoch incremented.
 *
 * @example
 * ```ts
 * const next = withoutMembers(membership, ['w-1']); // epoch + 1, ranks 0..N-2
 * ```
 */
export function withoutMembers(membership: Membership, workerIds: readonly string[]): Membership {
  const gone = new Set(workerIds);
  const members = membership.members.filter((m) => !gone.has(m.workerId)).map((m, rank) => ({ ...m, rank }));
  return { epoch: membership.epoch + 1, members, jobSignature: membership.jobSignature };
}

/** Strips coordinator-only fields for the wire. */
export function publicMember(m: Member): Member {
  return { rank: m.rank, workerId: m.workerId, peerAddress: m.peerAddress };
}
