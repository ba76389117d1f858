/**
 * Loom's own WebAssembly SIMD loops, run on the wasm backend's memory: for host
 * kernels that move or mask large arrays, where a JavaScript loop costs 1.5-3 ns a
 * value and 128-bit SIMD about a quarter of that (relu's backward on 1.4M values:
 * 2.7 ms in JavaScript, 0.6 ms here). The module is assembled here from the function
 * bodies of wasm-simd-code.ts (each under its WAT), imports the backend's
 * `WebAssembly.Memory`, and reads and writes tensors where they are, by their heap
 * offsets. Where it cannot run (cpu backend, a shared memory of the threaded build,
 * no SIMD) the kernels keep their JavaScript loops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../errors';
import { I32, name, section, uleb } from './wasm-encoding';
import { COPY_RUNS_BODY, MAX_POOL_2X2_BODY, MAX_POOL_GRAD_BODY, PATCH_ROWS_BODY, RELU_GRAD_BODY, TRANSPOSE4_BODY } from './wasm-simd-code';

/** The functions of the module; pointers are byte offsets in the backend's heap. */
export interface SimdExports {
  /** `out = dy & (y > 0 | y != y)` over `groups` groups of four float32 (relu's backward). */
  reluGrad(dy: number, y: number, out: number, groups: number): void;
  /**
   * Copies `blocks` blocks of `rows` runs of `len` 32-bit values to consecutive places
   * from `dst` on: runs start `rowSkip` bytes after the previous run's end, blocks
   * `blockStride` bytes after the previous block's start (im2col's rows).
   */
  copyRuns(src: number, dst: number, blocks: number, blockStride: number, rows: number, rowSkip: number, len: number): void;
  /**
   * Max pooling's backward: zeroes `planes` planes of `planeBytes` bytes at `dx`, then adds
   * each of a plane's `outPlane` float32 gradients at `dy` to the value its int32 index
   * at `idx` points at in its plane (indices below 0 are skipped), in order.
   */
  maxPoolGrad(dy: number, idx: number, dx: number, planes: number, outPlane: number, planeBytes: number): void;
  /**
   * Max pooling over 2x2 windows at stride 2 of `planes` float32 planes `[h, w]` at `x`
   * into `[oh, ow]` maxima at `y` and int32 plane indices at `idx`, without a
   * data-dependent branch (`select`); returns 1, with the outputs unfinished, when a
   * window's sum is NaN (a NaN, or +inf with -inf), which the caller's exact loop handles.
   */
  maxPool2x2(x: number, y: number, idx: number, planes: number, h: number, w: number, oh: number, ow: number): number;
  /**
   * Transposes the top-left `rows4 x cols4` corner (multiples of 4) of each of `batch`
   * matrices `[rows, cols]` of 32-bit values at `x` into `[cols, rows]` matrices at
   * `out`, in 4x4 blocks; the caller copies the edges.
   */
  transpose4(x: number, out: number, batch: number, rows: number, cols: number, rows4: number, cols4: number): void;
  /**
   * im2col's rows (one output pixel per row, taps in OIHW order, then a 1 if `ones`) of
   * an NCHW `[n, c, h, w]` float32 input at `x` for windows inside it, at `out`.
   */
  patchRows(
    x: number, out: number, n: number, c: number, h: number, w: number, oh: number, ow: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, ones: number,
  ): void;
}

/** The part of the WebAssembly JavaScript API used here (the project's TypeScript libs do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Memory: abstract new (...args: never[]) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
  validate(bytes: Uint8Array): boolean;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The part of tfjs-backend-wasm's backend this module uses. */
interface WasmBackendMemory {
  wasm: { asm?: { memory?: WasmMemory } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
}

/** The module's bytes: the types, the imported memory, the functions and their exports. */
function moduleBytes(): Uint8Array {
  // Types 0-2 and 4: (func) with 4, 7, 6 and 15 i32 params and no result; type 3: 8 i32 params -> i32.
  const params = (n: number): number[] => [n, ...new Array<number>(n).fill(I32)];
  const types = [
    ...[4, 7, 6].map((n) => [0x60, ...params(n), 0]),
    [0x60, ...params(8), 1, I32],
    [0x60, ...params(15), 0],
  ];
  // [name, type index, body]
  const functions: [string, number, number[]][] = [
    ['reluGrad', 0, RELU_GRAD_BODY],
    ['copyRuns', 1, COPY_RUNS_BODY],
    ['maxPoolGrad', 2, MAX_POOL_GRAD_BODY],
    ['maxPool2x2', 3, MAX_POOL_2X2_BODY],
    ['transpose4', 1, TRANSPOSE4_BODY],
    ['patchRows', 4, PATCH_ROWS_BODY],
  ];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [types.length, ...types.flat()]),
    // (import "env" "memory" (memory 1)): a non-shared memory of at least one page.
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 0x01]),
    ...section(3, [functions.length, ...functions.map(([, type]) => type)]),
    ...section(7, [functions.length, ...functions.flatMap(([n], i) => [...name(n), 0x00, i])]),
    ...section(10, [functions.length, ...functions.flatMap(([, , body]) => [...uleb(body.length), ...body])]),
  ];
  return new Uint8Array(bytes);
}

/** The instance per memory (a backend re-created by setBackend has a new one). */
const instances = new WeakMap<WasmMemory, SimdExports | null>();

function instantiate(memory: WasmMemory): SimdExports | null {
  const bytes = moduleBytes();
  if (typeof SharedArrayBuffer !== 'undefined' && (memory.buffer as unknown) instanceof SharedArrayBuffer) return null;
  if (!wasmApi.validate(bytes)) return null;
  const instance = new wasmApi.Instance(new wasmApi.Module(bytes), { env: { memory } });
  return instance.exports as unknown as SimdExports;
}

/**
 * The SIMD functions on the active backend's memory, or null where they cannot run
 * (not the wasm backend, a shared memory, no SIMD).
 *
 * @example
 * ```ts
 * const simd = simdKernels();
 * if (simd) simd.reluGrad(heapOffset(dy), heapOffset(y), heapOffset(out), n / 4);
 * ```
 */
export function simdKernels(): SimdExports | null {
  if (tf.getBackend() !== 'wasm') return null;
  const memory = (tf.backend() as unknown as WasmBackendMemory).wasm.asm?.memory;
  if (!(memory instanceof wasmApi.Memory)) return null;
  let simd = instances.get(memory);
  if (simd === undefined) {
    simd = instantiate(memory);
    instances.set(memory, simd);
  }
  return simd;
}

/**
 * The byte offset in the wasm heap of a tensor's values (wasm backend only).
 *
 * @example
 * ```ts
 * heapOffset(info); // e.g. 5246976
 * ```
 */
export function heapOffset(info: tf.TensorInfo): number {
  const data = (tf.backend() as unknown as WasmBackendMemory).dataIdMap.get(info.dataId);
  if (data === undefined) throw new BackendError(`wasm-simd: the wasm backend holds no data for a tensor of shape [${info.shape.join(',')}]`);
  return data.memoryOffset;
}

/**
 * A float32 view of a tensor's values in the wasm heap, valid only until the next
 * kernel runs (a kernel may grow the heap, which detaches the view): copy out of it at
 * once. Null when the active backend is not wasm.
 *
 * @example
 * ```ts
 * out.set(heapFloat32View(info) ?? values, offset);
 * ```
 */
export function heapFloat32View(info: tf.TensorInfo, length: number): Float32Array | null {
  if (tf.getBackend() !== 'wasm') return null;
  const memory = (tf.backend() as unknown as WasmBackendMemory).wasm.asm?.memory;
  if (!(memory instanceof wasmApi.Memory)) return null;
  return new Float32Array(memory.buffer, heapOffset(info), length);
}
