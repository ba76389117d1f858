/**
 * Loads `proto/loom/v1/coordinator.proto` with protobufjs at run time and builds the
 * grpc-js service definitions from it (what `@grpc/proto-loader` would do, without the
 * dependency). Control-plane messages are converted to plain objects (`messages.ts`
 * types, 64-bit integers as numbers, enums as names); the ring's messages are left raw
 * (Buffers) because `ring/chunk-codec.ts` encodes and decodes it on the hot path.
 */
import * as path from 'node:path';
import type { ServiceDefinition, MethodDefinition } from '@grpc/grpc-js';
import * as protobuf from 'protobufjs';
import { COORDINATOR_PROTO, findProtoRoot } from './find-proto';
import { COORDINATOR_SERVICE, PEER_SERVICE } from './protocol-version';

/** How decoded messages are turned into plain objects (see `messages.ts`). */
export const TO_OBJECT_OPTIONS: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true };

/** The loaded protocol: the protobufjs root and both services' definitions. */
export interface LoomProtocol {
  root: protobuf.Root;
  /** `loom.v1.Coordinator`, every message as a plain object. */
  coordinatorService: ServiceDefinition;
  /** `loom.v1.Peer`, with the `Ring` call's messages as raw Buffers. */
  peerService: ServiceDefinition;
  /** `loom.v1.RingHello` and `loom.v1.GradientChunk`, for the chunk codec. */
  ringHello: protobuf.Type;
  gradientChunk: protobuf.Type;
}

let cached: LoomProtocol | null = null;

/**
 * Loads the protocol once per process.
 *
 * @example
 * ```ts
 * const { coordinatorService } = loadProtocol();
 * server.addService(coordinatorService, handlers);
 * ```
 */
export function loadProtocol(): LoomProtocol {
  if (cached) return cached;
  const root = protobuf.loadSync(path.join(findProtoRoot(), COORDINATOR_PROTO));
  root.resolveAll();
  cached = {
    root,
    coordinatorService: serviceDefinition(root.lookupService(COORDINATOR_SERVICE), false),
    peerService: serviceDefinition(root.lookupService(PEER_SERVICE), true),
    ringHello: root.lookupType('loom.v1.RingHello'),
    gradientChunk: root.lookupType('loom.v1.GradientChunk'),
  };
  return cached;
}

function objectCodec(type: protobuf.Type): { serialize: (value: object) => Buffer; deserialize: (bytes: Buffer) => object } {
  return {
    serialize: (value) => {
      const message = type.fromObject(value as Record<string, unknown>);
      const bytes = type.encode(message).finish();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    deserialize: (bytes) => type.toObject(type.decode(bytes), TO_OBJECT_OPTIONS),
  };
}

const rawCodec = { serialize: (value: Buffer): Buffer => value, deserialize: (bytes: Buffer): Buffer => bytes };

function serviceDefinition(service: protobuf.Service, raw: boolean): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const request = raw ? rawCodec : objectCodec(method.resolvedRequestType as protobuf.Type);
    const response = raw ? rawCodec : objectCodec(method.resolvedResponseType as protobuf.Type);
    definition[method.name] = {
      path: `/${service.fullName.replace(/^\./, '')}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: request.serialize as (value: unknown) => Buffer,
      requestDeserialize: request.deserialize,
      responseSerialize: response.serialize as (value: unknown) => Buffer,
      responseDeserialize: response.deserialize,
      originalName: method.name.charAt(0).toLowerCase() + method.name.slice(1),
    };
  }
  return definition as ServiceDefinition;
}

/**
 * Encodes a control-plane message by its name (for tests and foreign clients).
 *
 * @example
 * ```ts
 * const bytes = encodeMessage('JoinRequest', { protocolVersion: 1, workerId: 'w-0' });
 * ```
 */
export function encodeMessage(name: string, value: object): Uint8Array {
  const type = loadProtocol().root.lookupType(`loom.v1.${name}`);
  return type.encode(type.fromObject(value as Record<string, unknown>)).finish();
}
