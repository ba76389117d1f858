/**
 * The wire protocol's version and the metadata keys both services use. Bump
 * `PROTOCOL_VERSION` for any change to `proto/loom/v1/coordinator.proto` that an older
 * worker could misread (a field's meaning, a new required step); adding an optional
 * field that old readers may ignore does not need a bump.
 */

/** Version spoken by this build; `Join` and `Peer.Ring` refuse any other. */
export const PROTOCOL_VERSION = 1;

/** Trailing-metadata key carrying a `CoordinatorErrorCode` next to the gRPC status. */
export const ERROR_CODE_METADATA_KEY = 'loom-error-code';

/** Fully qualified names of the services, as in the `.proto` file. */
export const COORDINATOR_SERVICE = 'loom.v1.Coordinator';
export const PEER_SERVICE = 'loom.v1.Peer';
