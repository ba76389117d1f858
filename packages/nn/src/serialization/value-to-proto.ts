/**
 * A JavaScript value (the checkpoint dict) to a `loom.v1.Value` tree. Tensors become
 * their description (dtype, shape, id); their bytes are written after the tree as
 * chunks, so the tree stays small whatever the model's size.
 */
import { Tensor, type DType } from '@loom/tensor';
import { MAX_MESSAGE_DEPTH } from './checkpoint-schema';
import { CheckpointError } from './errors';

/** `loom.v1.DType` values of Loom's dtypes. */
export const DTYPE_TO_PROTO: Readonly<Record<DType, number>> = { float32: 1, int32: 2, bool: 3 };

/** Bytes per element, as stored. */
export const ITEM_BYTES: Readonly<Record<DType, number>> = { float32: 4, int32: 4, bool: 1 };

/** A `loom.v1.Value` as protobufjs encodes it (camelCase fields, one `kind` member set). */
export type ValueObject = Record<string, unknown>;

/** The tree and the distinct tensors in it, by id. */
export interface ProtoTree {
  root: ValueObject;
  tensors: Tensor[];
}

/** Depth added below a Value by each container: ListValue, then Value; ObjectValue/MapValue, entry, Value. */
const LIST_DEPTH = 2;
const ENTRY_DEPTH = 3;

const SAVE_DATA_HELP = 'save data only: tensors, numbers, strings, booleans, bigints, null, undefined, arrays, plain objects and Maps';
const SAVE_STATE_HELP = 'save its state as data instead, e.g. model.stateDict() rather than the model';

/** How error messages name the value being saved. */
const ROOT_NAME = 'checkpoint';

/**
 * Converts `value` for encoding. Throws a `LOOM_CHECKPOINT_UNSUPPORTED` error naming
 * the path of anything that cannot be saved (`checkpoint.optimizerStateDict.state["0"]`)
 * and the `target` file.
 */
export function valueToProto(value: unknown, op: string, target: string): ProtoTree {
  const ids = new Map<Tensor, number>();
  const tensors: Tensor[] = [];
  const ancestors = new Set<object>();

  const refuse = (path: string, what: string, help?: string): never => {
    throw new CheckpointError('LOOM_CHECKPOINT_UNSUPPORTED', target, `${op}: cannot save ${path} to '${target}': it ${what}`, { help });
  };

  const visit = (v: unknown, path: string, depth: number): ValueObject => {
    // +1: a Value's own sub-message (list, object, tensor...) sits one level below it.
    if (depth + 1 > MAX_MESSAGE_DEPTH) {
      refuse(path, `is nested too deeply: protobuf (protoc and protobufjs) reads messages at most ${MAX_MESSAGE_DEPTH} levels deep`, 'flatten the structure (keys like "a.b.c", as state dicts do)');
    }
    switch (typeof v) {
      case 'undefined':
        return { undefinedValue: {} };
      case 'boolean':
        return { boolValue: v };
      case 'number':
        return Number.isSafeInteger(v) && !Object.is(v, -0) ? { intValue: v } : { doubleValue: v };
      case 'string':
        return { stringValue: v };
      case 'bigint':
        return { bigintValue: v.toString() };
      case 'object':
        break;
      case 'function':
        // Modules are callable objects: name their class, not "function".
        if (!/Function$/.test(v.constructor?.name ?? 'Function')) return refuse(path, `is a ${v.constructor.name}, not a plain object`, SAVE_STATE_HELP);
        return refuse(path, 'is a function, which a checkpoint cannot hold', SAVE_DATA_HELP);
      default:
        return refuse(path, `is a ${typeof v}, which a checkpoint cannot hold`, SAVE_DATA_HELP);
    }
    if (v === null) return { nullValue: 0 };
    if (v instanceof Tensor) return { tensor: describeTensor(v, path) };
    if (ancestors.has(v)) refuse(path, 'refers back to one of its own containers (a cycle)', 'save a tree: copy shared sub-objects or store an index to them');
    ancestors.add(v);
    try {
      if (Array.isArray(v)) {
        const items: ValueObject[] = [];
        for (let i = 0; i < v.length; i++) items.push(visit(v[i], `${path}[${i}]`, depth + LIST_DEPTH));
        return { listValue: { items } };
      }
      if (v instanceof Map) {
        const entries = [...v].map(([key, item]) => {
          const keyPath = `${path}.get(${typeof key === 'string' ? JSON.stringify(key) : String(key)})`;
          if (key !== null && typeof key === 'object') refuse(keyPath, 'has a key that is an object or tensor', 'use string, number, boolean or bigint keys');
          return { key: visit(key, keyPath, depth + ENTRY_DEPTH), value: visit(item, keyPath, depth + ENTRY_DEPTH) };
        });
        return { mapValue: { entries } };
      }
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        const name = (v as object).constructor?.name ?? 'object';
        const help = ArrayBuffer.isView(v) ? 'wrap typed arrays in a tensor: fromArray(values, shape)' : SAVE_STATE_HELP;
        refuse(path, `is a ${name}, not a plain object`, help);
      }
      const fields = Object.keys(v).map((key) => ({ key, value: visit((v as Record<string, unknown>)[key], childPath(path, key), depth + ENTRY_DEPTH) }));
      return { objectValue: { fields } };
    } finally {
      ancestors.delete(v);
    }
  };

  const describeTensor = (t: Tensor, path: string): ValueObject => {
    if (t.isDisposed) refuse(path, 'is a tensor that was already released', 'keep it (tensor.keep()) until it is saved, or save it before the scope ends');
    let id = ids.get(t);
    if (id === undefined) {
      id = tensors.length;
      ids.set(t, id);
      tensors.push(t);
    }
    return { dtype: DTYPE_TO_PROTO[t.dtype], shape: [...t.shape], id, requiresGrad: t.requiresGrad };
  };

  return { root: visit(value, ROOT_NAME, 1), tensors };
}

/** `path.key`, or `path["odd key"]` where the key is not an identifier. */
export function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}
