/**
 * What Loom's SIMD module is written with (wasm-simd-code.ts): the opcodes it uses,
 * from the WebAssembly core and SIMD specifications, and the binary encoding of
 * numbers, names and sections, with a few shorthands for the loops' bookkeeping.
 * Internal to the kernels (not exported from the package).
 * @internal
 */
export const BLOCK = 0x02;
export const LOOP = 0x03;
export const BR = 0x0c;
export const BR_IF = 0x0d;
export const END = 0x0b;
export const VOID = 0x40;
export const LOCAL_GET = 0x20;
export const LOCAL_SET = 0x21;
export const LOCAL_TEE = 0x22;
export const I32_CONST = 0x41;
export const I32_EQZ = 0x45;
export const I32_LT_U = 0x49;
export const I32_GE_U = 0x4f;
export const I32_LOAD = 0x28;
export const I32_STORE = 0x36;
export const I32_GE_S = 0x4e;
export const I32_MUL = 0x6c;
export const I32_SHL = 0x74;
export const F32_LOAD = 0x2a;
export const F32_STORE = 0x38;
export const F32_ADD = 0x92;
export const F32_NE = 0x5c;
export const F32_GT = 0x5e;
export const I32_SHR_U = 0x76;
export const SELECT = 0x1b;
export const RETURN = 0x0f;
export const F32 = 0x7d;
export const IF = 0x04;
export const BULK = 0xfc;
export const MEMORY_FILL = [0x0b, 0x00];
export const I32_ADD = 0x6a;
export const I32_SUB = 0x6b;
export const I32 = 0x7f;
export const F32_CONST = 0x43;
export const V128 = 0x7b;
export const SIMD = 0xfd;
export const V128_LOAD = 0x00;
export const V128_STORE = 0x0b;
export const V128_CONST = 0x0c;
export const I8X16_SHUFFLE = 0x0d;
export const F32X4_NE = 0x42;
export const F32X4_GT = 0x44;
export const V128_AND = 0x4e;
export const V128_OR = 0x50;
/** memarg of an unaligned access at offset 0: alignment hint 2^0, offset 0. */
export const UNALIGNED = [0x00, 0x00];
/** memarg of a 4-byte aligned access at offset 0. */
export const ALIGNED4 = [0x02, 0x00];
/** memarg of a 4-byte aligned access at offset 4 (the next float32). */
export const NEXT4 = [0x02, 0x04];

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function section(id: number, bytes: number[]): number[] {
  return [id, ...uleb(bytes.length), ...bytes];
}

export function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

/** `local[p] += step` */
export function advance(p: number, step: number): number[] {
  return [LOCAL_GET, p, I32_CONST, ...uleb(step), I32_ADD, LOCAL_SET, p];
}

/** `local[p] -= 1` */
export function decrement(p: number): number[] {
  return [LOCAL_GET, p, I32_CONST, 1, I32_SUB, LOCAL_SET, p];
}

/** `local[p] += local[q]` */
export function addLocal(p: number, q: number): number[] {
  return [LOCAL_GET, p, LOCAL_GET, q, I32_ADD, LOCAL_SET, p];
}

/** The byte lanes of an `i8x16.shuffle` that picks these four 32-bit lanes of two vectors (0-3 first, 4-7 second). */
export function lanes(...picks: number[]): number[] {
  return picks.flatMap((p) => [4 * p, 4 * p + 1, 4 * p + 2, 4 * p + 3]);
}

/** A loop that runs `body` while `local[counter]` counts down to 0 from its value on entry. */
export function countdown(counter: number, body: number[]): number[] {
  return [BLOCK, VOID, LOOP, VOID, LOCAL_GET, counter, I32_EQZ, BR_IF, 1, ...body, ...decrement(counter), BR, 0, END, END];
}
