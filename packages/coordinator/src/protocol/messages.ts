/**
 * TypeScript shapes of the control-plane messages of `proto/loom/v1/coordinator.proto`,
 * as `load-protocol.ts` decodes them (camelCase fields, 64-bit integers as numbers,
 * enums as names, absent optional fields absent). The `.proto` file stays the source
 * of truth: `messages.spec.ts` checks these field lists against it.
 */

/** `loom.v1.JoinRequest`. */
export interface JoinRequest {
  protocolVersion: number;
  workerId: string;
  jobSignature: string;
  peerAddress: string;
  requestedRank?: number;
  hostname: string;
  rejoinEpoch?: number;
}

/** `loom.v1.Member`. */
export interface Member {
  rank: number;
  workerId: string;
  peerAddress: string;
}

/** `loom.v1.JoinResponse`. */
export interface JoinResponse {
  rank: number;
  worldSize: number;
  membershipEpoch: number;
  members: Member[];
  left: Member;
  right: Member;
  leaseId: string;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  protocolVersion: number;
  jobSignature: string;
  joinedRunning: boolean;
  jobPath: string;
  trainingConfigJson: string;
  /** The checkpoint a resumed coordinator offers (null or absent: none). */
  resumeCheckpoint?: ResumeCheckpoint | null;
}

/** `loom.v1.ResumeCheckpoint`. */
export interface ResumeCheckpoint {
  step: number;
  trainEpoch: number;
  batch: number;
  totalBytes: number;
}

/** `loom.v1.LoadCheckpointRequest`. */
export interface LoadCheckpointRequest {
  workerId: string;
  leaseId: string;
}

/** `loom.v1.HeartbeatRequest`. */
export interface HeartbeatRequest {
  workerId: string;
  leaseId: string;
  membershipEpoch: number;
  step: number;
}

/** `loom.v1.HeartbeatResponse`. */
export interface HeartbeatResponse {
  membershipEpoch: number;
  heartbeatIntervalMs: number;
}

/** `loom.v1.ControlRequest`. */
export interface ControlRequest {
  workerId: string;
  leaseId: string;
}

/** `loom.v1.MembershipChanged`. */
export interface MembershipChanged {
  membershipEpoch: number;
  worldSize: number;
  members: Member[];
  lostWorkerIds: string[];
  reason: string;
  graceful: boolean;
}

/** `loom.v1.StepAssignment`. */
export interface StepAssignment {
  step: number;
  trainEpoch: number;
  batchIndex: number;
  shardStart: number;
  shardEnd: number;
  globalBatchSize: number;
  sampleIndices: number[];
  gradientWeight: number;
}

/** `loom.v1.Shutdown`. */
export interface Shutdown {
  reason: string;
  failed: boolean;
}

/** `loom.v1.ControlEvent`: exactly one of the three events is present. */
export interface ControlEvent {
  membershipEpoch: number;
  membershipChanged?: MembershipChanged;
  stepAssignment?: StepAssignment;
  shutdown?: Shutdown;
}

/** `loom.v1.MetricsReport`. */
export interface MetricsReport {
  workerId: string;
  leaseId: string;
  membershipEpoch: number;
  step: number;
  trainEpoch: number;
  values: Record<string, number>;
}

/** `loom.v1.MetricsBatch`. */
export interface MetricsBatch {
  reports: MetricsReport[];
}

/** `loom.v1.LeaveRequest`. */
export interface LeaveRequest {
  workerId: string;
  leaseId: string;
  reason: string;
}

/** `loom.v1.LeaveResponse`. */
export interface LeaveResponse {
  membershipEpoch: number;
}

/** `loom.v1.CheckpointChunk` (`data` and `sha256` as Buffers). */
export interface CheckpointChunk {
  workerId: string;
  leaseId: string;
  step: number;
  trainEpoch: number;
  batch: number;
  totalBytes: number;
  offset: number;
  data: Uint8Array;
  sha256: Uint8Array;
}

/** `loom.v1.CheckpointSaved`. */
export interface CheckpointSaved {
  path: string;
  bytes: number;
  removed: string[];
}
