/** Re-exports for the coordinator tests, plus protobuf encoding of raw requests. */
export * from '../src';
export { encodeMessage as encodeMessageForTest } from '../src/protocol/load-protocol';
