/**
 * Options and event payloads of `CoordinatorServer`, with the defaults it uses.
 */
import type { ServerCredentials } from '@grpc/grpc-js';
import type { CheckpointSaved, MetricsReport } from '../protocol/messages';
import type { Membership } from '../rendezvous/membership';
import type { RendezvousOptions } from '../rendezvous/rendezvous';
import type { CoordinatorLimits } from '../security/limits';
import type { AuthHook } from './auth';
import type { ResumeCheckpointFile } from './resume-checkpoint';

/** How often workers heartbeat (a local choice: 5 beats per timeout). */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1000;
/** Silence after which a worker is dead: issue 7 asks that a crash be noticed within 5 s. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 5000;
/** How long `close()` lets calls finish before cutting them (a local choice). */
export const SHUTDOWN_GRACE_MS = 1000;

/** Options of {@link CoordinatorServer}. */
export interface CoordinatorServerOptions extends Omit<RendezvousOptions, 'timeoutMs'>, CoordinatorLimits {
  /** Time for `minWorkers` to join, from `start()` (default 600 s, torchrun's). */
  rendezvousTimeoutMs?: number;
  /** Bind address (default 127.0.0.1; any other needs `authorize` or mutual TLS, see security/exposure.ts). */
  host?: string;
  /** Port (default 0: ephemeral). */
  port?: number;
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  /** Checks every call (tokens, identities); see `bearerTokenAuth`. */
  authorize?: AuthHook;
  /** TLS (default insecure). */
  credentials?: ServerCredentials;
  /** The job module, sent to workers in JoinResponse (a worker started without JOB loads it). */
  jobPath?: string;
  /** Training flags (epochs, batch size, ...) sent to workers in JoinResponse as JSON. */
  trainingConfig?: Record<string, unknown>;
  /** Folder where `SaveCheckpoint` writes checkpoints (none: uploads are refused). */
  checkpointDir?: string;
  /** Checkpoints kept in `checkpointDir` (default 3). */
  keepCheckpoints?: number;
  /** Largest checkpoint upload accepted (default 4 GiB). */
  maxCheckpointBytes?: number;
  /**
   * The checkpoint to continue from (`loom coordinator --resume`): offered to workers that
   * start without state of their own, which download it with `LoadCheckpoint`.
   */
  resumeCheckpoint?: ResumeCheckpointFile;
}

/** A checkpoint the coordinator saved (event `'checkpoint'`). */
export interface CheckpointEvent extends CheckpointSaved {
  step: number;
  /** 0-based epoch and next batch of the saved state. */
  epoch: number;
  batch: number;
  rank: number;
}

/** A metrics report with the sender's rank. */
export interface MetricsEvent {
  rank: number;
  report: MetricsReport;
}

/** Why the membership changed. */
export interface MembershipChange {
  membership: Membership;
  lostWorkerIds: string[];
  reason: string;
  /** True when the lost workers died or hung (not a graceful Leave). */
  failure: boolean;
}
