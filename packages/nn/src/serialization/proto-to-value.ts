/**
 * A decoded `loom.v1.Value` tree back to JavaScript values. The file is untrusted input:
 * every node is checked, and object keys are defined as own properties so that a key
 * named `__proto__` stays data. Tensors are only described here; the reader fills their
 * bytes from the chunks and {@link ProtoValue.place}s them once the SHA-256 matched.
 */
import type { DType } from '@loom/tensor';
import { ValueMessage } from './checkpoint-schema';
import { ITEM_BYTES } from './value-to-proto';

/** What a tensor in the tree looks like; its bytes are counted in `byteLength`. */
export interface TensorDescription {
  dtype: DType;
  shape: number[];
  requiresGrad: boolean;
  byteLength: number;
}

/** Where a tensor goes once it exists. */
interface Slot {
  id: number;
  set(tensor: unknown): void;
}

/** The rebuilt value with holes where its tensors go. */
export interface ProtoValue {
  tensors: TensorDescription[];
  /** Puts `make(id)` into every place of the tree that holds tensor `id`; returns the value. */
  place(make: (id: number) => unknown): unknown;
}

/** The reason a tree is invalid, without the file name (the reader adds it). */
export class TreeError extends Error {}

const PROTO_TO_DTYPE: Readonly<Record<string, DType>> = { DTYPE_FLOAT32: 'float32', DTYPE_INT32: 'int32', DTYPE_BOOL: 'bool' };

/** protobufjs' plain-object options: 64-bit integers as decimal strings (checked here), enums by name. */
const TO_OBJECT = { longs: String, enums: String, oneofs: true, arrays: true } as const;

type Node = Record<string, unknown>;

/** Value kinds that a map key cannot have (checkpoint.proto, MapValue). */
const CONTAINER_KINDS = new Set<unknown>(['tensor', 'listValue', 'objectValue', 'mapValue']);

/** Decodes and checks the root field's bytes. Throws {@link TreeError} or protobufjs' errors. */
export function protoToValue(rootBytes: Uint8Array): ProtoValue {
  const root = ValueMessage.toObject(ValueMessage.decode(rootBytes), TO_OBJECT) as Node;
  const tensors: TensorDescription[] = [];
  const slots: Slot[] = [];

  const visit = (node: Node, set: (v: unknown) => void): unknown => {
    const kind = node.kind;
    switch (kind) {
      case 'nullValue':
        return null;
      case 'undefinedValue':
        return undefined;
      case 'boolValue':
        return node.boolValue;
      case 'intValue':
        return safeInteger(node.intValue, 'int_value');
      case 'doubleValue':
        return node.doubleValue;
      case 'stringValue':
        return node.stringValue;
      case 'bigintValue':
        return bigint(node.bigintValue);
      case 'listValue': {
        const items = (node.listValue as { items: Node[] }).items;
        const list: unknown[] = new Array(items.length);
        items.forEach((item, i) => (list[i] = visit(item, (v) => (list[i] = v))));
        return list;
      }
      case 'objectValue': {
        const object: Record<string, unknown> = {};
        for (const { key, value } of (node.objectValue as { fields: { key: string; value?: Node }[] }).fields) {
          if (Object.prototype.hasOwnProperty.call(object, key)) throw new TreeError(`object key '${key}' appears twice`);
          defineOwn(object, key, visit(required(value, 'object field value'), (v) => defineOwn(object, key, v)));
        }
        return object;
      }
      case 'mapValue': {
        const map = new Map<unknown, unknown>();
        for (const { key, value } of (node.mapValue as { entries: { key?: Node; value?: Node }[] }).entries) {
          const keyNode = required(key, 'map key');
          if (CONTAINER_KINDS.has(keyNode.kind)) throw new TreeError(`a map key is a ${String(keyNode.kind)}, not a primitive`);
          const k = visit(keyNode, () => undefined);
          if (map.has(k)) throw new TreeError(`map key ${String(k)} appears twice`);
          map.set(k, visit(required(value, 'map value'), (v) => map.set(k, v)));
        }
        return map;
      }
      case 'tensor':
        slots.push({ id: describe(node.tensor as Node), set });
        return null;
      default:
        throw new TreeError(kind === undefined ? 'a value has no kind (an empty Value message)' : `unknown value kind '${String(kind)}'`);
    }
  };

  const describe = (t: Node): number => {
    const dtype = PROTO_TO_DTYPE[String(t.dtype)];
    if (!dtype) throw new TreeError(`tensor dtype ${String(t.dtype ?? 'DTYPE_UNSPECIFIED')} is not one of ${Object.keys(PROTO_TO_DTYPE).join(', ')}`);
    const shape = (t.shape as string[]).map((d) => safeInteger(d, 'tensor shape'));
    const numel = shape.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(numel * ITEM_BYTES[dtype])) throw new TreeError(`tensor shape [${shape.join(',')}] is too large`);
    const requiresGrad = t.requiresGrad === true;
    if (requiresGrad && dtype !== 'float32') throw new TreeError(`a ${dtype} tensor cannot require gradients`);
    const id = (t.id as number | undefined) ?? 0;
    const seen = tensors[id];
    if (id === tensors.length) {
      tensors.push({ dtype, shape, requiresGrad, byteLength: numel * ITEM_BYTES[dtype] });
    } else if (!seen || seen.dtype !== dtype || seen.requiresGrad !== requiresGrad || seen.shape.join() !== shape.join()) {
      throw new TreeError(`tensor id ${id} is out of order or differs from its first appearance`);
    }
    return id;
  };

  let result = visit(root, (v) => (result = v));
  return {
    tensors,
    place(make) {
      for (const slot of slots) slot.set(make(slot.id));
      return result;
    },
  };
}

function required(node: Node | undefined, what: string): Node {
  if (!node) throw new TreeError(`${what} is missing`);
  return node;
}

function safeInteger(text: unknown, what: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) {
    throw new TreeError(`${what} ${String(text)} is not a safe integer`);
  }
  return n;
}

function bigint(text: unknown): bigint {
  if (typeof text !== 'string' || !/^-?\d+$/.test(text)) throw new TreeError(`bigint_value '${String(text)}' is not a decimal integer`);
  return BigInt(text);
}

/** Sets `object[key]` as an own data property, also for `__proto__`. */
export function defineOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}
