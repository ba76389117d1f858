/**
 * safetensors element types and how each becomes one of Loom's three dtypes. Names and
 * sizes are those of the reference implementation (huggingface/safetensors, `Dtype`).
 * Widening conversions are exact; F64 rounds to float32 (as `tensor.float()` would),
 * 64-bit and unsigned 32-bit integers must fit int32 or loading refuses them.
 */
import type { DType, TypedArray } from '@loom/tensor';
import { IS_LITTLE_ENDIAN } from './byte-order';

/** A value that does not fit the Loom dtype, at `index` of the tensor. */
export class OutOfRange extends Error {
  constructor(
    readonly index: number,
    readonly value: string,
  ) {
    super(`value ${value} at index ${index}`);
  }
}

/** How one safetensors dtype is read. `bytes` is little-endian, in its own aligned buffer. */
export interface SafetensorsDType {
  itemSize: number;
  loom: DType;
  decode(bytes: Uint8Array, n: number): TypedArray;
}

const INT32_MAX = 2 ** 31 - 1;

/** The dtype Loom writes for each of its own. */
export const LOOM_TO_SAFETENSORS: Readonly<Record<DType, string>> = { float32: 'F32', int32: 'I32', bool: 'BOOL' };

const view = <A>(Ctor: new (buffer: ArrayBufferLike, byteOffset: number, length: number) => A, bytes: Uint8Array, n: number): A =>
  new Ctor(bytes.buffer, bytes.byteOffset, n);

/** Readable safetensors dtypes (the reference's F8 variants are not). */
export const SAFETENSORS_DTYPES: Readonly<Record<string, SafetensorsDType>> = {
  F32: { itemSize: 4, loom: 'float32', decode: (b, n) => view(Float32Array, b, n) },
  F64: { itemSize: 8, loom: 'float32', decode: (b, n) => Float32Array.from(view(Float64Array, b, n)) },
  F16: { itemSize: 2, loom: 'float32', decode: (b, n) => float32FromBits(view(Uint16Array, b, n), halfToFloatBits) },
  BF16: { itemSize: 2, loom: 'float32', decode: (b, n) => float32FromBits(view(Uint16Array, b, n), (h) => h << 16) },
  I32: { itemSize: 4, loom: 'int32', decode: (b, n) => view(Int32Array, b, n) },
  I64: { itemSize: 8, loom: 'int32', decode: (b, n) => int32From64(view(Int32Array, b, 2 * n), true) },
  U64: { itemSize: 8, loom: 'int32', decode: (b, n) => int32From64(view(Int32Array, b, 2 * n), false) },
  U32: {
    itemSize: 4,
    loom: 'int32',
    decode: (b, n) => {
      const values = view(Uint32Array, b, n);
      const i = values.findIndex((v) => v > INT32_MAX);
      if (i !== -1) throw new OutOfRange(i, String(values[i]));
      return Int32Array.from(values);
    },
  },
  I16: { itemSize: 2, loom: 'int32', decode: (b, n) => Int32Array.from(view(Int16Array, b, n)) },
  U16: { itemSize: 2, loom: 'int32', decode: (b, n) => Int32Array.from(view(Uint16Array, b, n)) },
  I8: { itemSize: 1, loom: 'int32', decode: (b, n) => Int32Array.from(view(Int8Array, b, n)) },
  U8: { itemSize: 1, loom: 'int32', decode: (b, n) => Int32Array.from(view(Uint8Array, b, n)) },
  BOOL: { itemSize: 1, loom: 'bool', decode: (b, n) => view(Uint8Array, b, n).map((v) => (v !== 0 ? 1 : 0)) },
};

function float32FromBits(halves: Uint16Array, toBits: (h: number) => number): Float32Array {
  const bits = new Uint32Array(halves.length);
  for (let i = 0; i < halves.length; i++) bits[i] = toBits(halves[i] as number);
  return new Float32Array(bits.buffer);
}

/** IEEE 754 binary16 bits to the binary32 bits of the same value (exact, NaN payloads kept). */
export function halfToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exponent = (h >> 10) & 0x1f;
  let mantissa = h & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
  if (exponent !== 0) return (sign | ((exponent - 15 + 127) << 23) | (mantissa << 13)) >>> 0;
  if (mantissa === 0) return sign >>> 0;
  // Subnormal half: normalise, each shift lowers the exponent by one.
  let e = 127 - 15 + 1;
  while ((mantissa & 0x400) === 0) {
    mantissa <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mantissa & 0x3ff) << 13)) >>> 0;
}

/** Where the low 32-bit word of a 64-bit integer sits, once in the machine's byte order. */
const LOW_WORD = IS_LITTLE_ENDIAN ? 0 : 1;

/** 64-bit integers (viewed as pairs of int32 words) that must fit int32. */
function int32From64(pairs: Int32Array, signed: boolean): Int32Array {
  const out = new Int32Array(pairs.length / 2);
  for (let i = 0; i < out.length; i++) {
    const lo = pairs[2 * i + LOW_WORD] as number;
    const hi = pairs[2 * i + 1 - LOW_WORD] as number;
    // Fits int32 exactly when the high word is the low word's sign extension.
    if (hi !== (signed ? lo >> 31 : 0) || (!signed && lo < 0)) {
      const value = (BigInt(hi) << 32n) + BigInt(lo >>> 0);
      throw new OutOfRange(i, String(signed ? BigInt.asIntN(64, value) : BigInt.asUintN(64, value)));
    }
    out[i] = lo;
  }
  return out;
}
