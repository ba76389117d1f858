/**
 * `@loom/coordinator`: the gRPC protocol of distributed training (`proto/loom/v1/
 * coordinator.proto`), the coordinator's rendezvous and liveness tracking, and the
 * ring all-reduce between workers.
 *
 * @example
 * ```ts
 * import { RingAllReduce } from '@loom/coordinator';
 * const ring = new RingAllReduce();
 * await ring.listen();
 * await ring.connect({ rank: 0, worldSize: 1, membershipEpoch: 1, right: ring.address! });
 * await ring.allReduce(new Float32Array([1, 2, 3]));
 * ```
 */

// Ring collectives
export { RingAllReduce } from './ring/ring-all-reduce';
export type { RingTopology, AllReduceOptions } from './ring/ring-all-reduce';
export { DEFAULT_CHUNK_BYTES, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_COLLECTIVE_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_MAX_BUFFERED_BYTES, DEFAULT_HOST } from './ring/ring-options';
export type { RingAllReduceOptions } from './ring/ring-options';
export { FLOW_CONTROL_WINDOW_BYTES } from './ring/peer-link';
export { AllReduceHandle } from './ring/all-reduce-handle';
export { DEFAULT_BUCKET_CAP_BYTES, DEFAULT_FIRST_BUCKET_CAP_BYTES } from './ring/buckets';

// Coordinator and rendezvous
export { CoordinatorServer } from './server/coordinator-server';
export { DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_HEARTBEAT_TIMEOUT_MS } from './server/coordinator-options';
export type { CoordinatorServerOptions, MetricsEvent, MembershipChange, CheckpointEvent } from './server/coordinator-options';
export { ResumeCheckpointSource, type ResumeCheckpointFile } from './server/resume-checkpoint';
export { CheckpointStore, DEFAULT_KEEP_CHECKPOINTS, DEFAULT_MAX_CHECKPOINT_BYTES } from './server/checkpoint-store';
export { CheckpointAssembly, checkpointChunks, CHECKPOINT_CHUNK_BYTES } from './protocol/checkpoint-transfer';
export type { CheckpointStoreOptions } from './server/checkpoint-store';
export { MetricsAggregator } from './server/metrics-aggregator';
export type { StepMetrics } from './server/metrics-aggregator';
export { Rendezvous, DEFAULT_RENDEZVOUS_TIMEOUT_MS, DEFAULT_LAST_CALL_MS } from './rendezvous/rendezvous';
export type { RendezvousOptions } from './rendezvous/rendezvous';
export { ringNeighbours } from './rendezvous/membership';
export type { Membership, MemberRecord } from './rendezvous/membership';

// Workers
export { CoordinatorClient, DEFAULT_RPC_TIMEOUT_MS, CHECKPOINT_UPLOAD_TIMEOUT_MS } from './client/coordinator-client';
export type { CoordinatorClientOptions, JoinOptions, Lease } from './client/coordinator-client';
export { joinGroup, WorkerGroup, defaultWorkerId, RECOVERY_TIMEOUT_HEARTBEATS } from './worker/join-group';
export { MembershipWatch, coordinatorGone } from './worker/membership-watch';
export { rejoinWithBackoff, RECONNECT_INITIAL_BACKOFF_MS, RECONNECT_MAX_BACKOFF_MS, DEFAULT_RECONNECT_TIMEOUT_MS } from './worker/coordinator-reconnect';
export type { KnownMembership } from './worker/membership-watch';
export { reformRing } from './worker/elastic-recovery';
export { StepReporter } from './worker/step-reporter';
export type { StepLike } from './worker/step-reporter';
export type { JoinGroupOptions } from './worker/join-group';
export { modelSignature } from './signature';
export type { ParameterSpec } from './signature';

// Errors
export { CoordinatorError, RendezvousError, RingError, ElasticError, CoordinatorConfigError } from './errors';
export type { CoordinatorErrorCode } from './errors';

// Protocol
export { PROTOCOL_VERSION, ERROR_CODE_METADATA_KEY } from './protocol/protocol-version';
export { loadProtocol } from './protocol/load-protocol';
export { findProtoRoot } from './protocol/find-proto';
export type * from './protocol/messages';

// Security: tokens, TLS, the bind rule, limits
export { bearerTokenAuth, bearerTokenMetadata, AUTHORIZATION_METADATA_KEY } from './server/auth';
export type { AuthHook, CallContext, MetadataProvider } from './server/auth';
export { readToken, checkToken, generateToken, TokenError, TOKEN_ENV, MIN_TOKEN_LENGTH } from './security/token';
export type { TokenSources } from './security/token';
export { loadTls, tlsServerCredentials, tlsChannelCredentials, TlsConfigError } from './security/tls';
export type { TlsFiles, TlsMaterial } from './security/tls';
export { checkExposure, isLoopback, InsecureBindError } from './security/exposure';
export { RateLimiter, DEFAULT_JOIN_RATE, DEFAULT_HEARTBEAT_RATE } from './security/limits';
export type { RateLimit, CoordinatorLimits } from './security/limits';
export { coordinatorSecurity, workerSecurity, describeSecurity } from './security/job-security';
export type { JobSecurity, CoordinatorSecurityOptions, WorkerSecurityOptions } from './security/job-security';
