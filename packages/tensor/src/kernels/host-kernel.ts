/**
 * Loom's own kernels: fused steps that tfjs has no kernel for (a transpose with a bias
 * add, relu's backward, a softmax cross-entropy), written in TypeScript over the host
 * arrays of the backends whose tensors live in JavaScript-visible memory: the wasm
 * heap and the cpu backend's typed arrays. They are registered in tfjs's kernel
 * registry under `Loom*` names, so they run through `tf.engine().runKernel` like any
 * kernel (tidy, memory counting); on a backend without them (tensorflow) each op falls
 * back to the tfjs kernels it used before.
 *
 * NOTE (same numbers): a host kernel must give bit for bit what the tfjs kernels it
 * replaces give on that backend. float32 `+ - *` are reproduced exactly in JavaScript
 * (a double result rounded to float32 is the correctly rounded float32 result, since
 * double has more than twice float32's precision); reductions accumulate as the
 * backend's own `Sum` does (`float32` step by step on wasm, in doubles on cpu, see
 * {@link HostContext.accumulate}); transcendental functions (exp, log) are left to tfjs.
 * Only a NaN's sign and payload may differ: JavaScript canonicalises the NaNs it
 * computes, where wasm may keep an operand's. host-kernels.spec.ts checks every kernel
 * against the tfjs kernels it replaces.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sizeOf } from '../shape';
import { heapOffset, simdKernels, type SimdExports } from './wasm-simd';

/** How a backend's `Sum` kernel accumulates: in float32 at every step, or in a double. */
export type Accumulation = 'float32' | 'float64';

/** A typed array over a kernel operand's values. */
export type HostArray = Float32Array | Int32Array | Uint8Array;

/** What a host kernel gets: its inputs' values and how the backend accumulates. */
export interface HostContext {
  /** The backend's summation, which reductions must follow to give the same numbers. */
  accumulate: Accumulation;
  /**
   * On the wasm backend where Loom's SIMD module runs (wasm-simd.ts): the module and
   * the heap offsets of the inputs and outputs, for kernels that have a SIMD loop.
   */
  wasm?: { simd: SimdExports; inputs: number[]; outputs: number[] };
}

/** An output to allocate: shape and dtype. */
export interface OutputSpec {
  shape: number[];
  dtype: 'float32' | 'int32';
}

/** One host kernel: names its outputs, then fills them from the inputs' values. */
export interface HostKernelConfig {
  kernelName: string;
  /** The outputs' shapes and dtypes, from the inputs' and the attributes. */
  outputs: (inputs: tf.TensorInfo[], attrs: tf.NamedAttrMap) => OutputSpec[];
  /** Fills `outputs` (zeroed on cpu, not on wasm: write every element); `infos` are the inputs' (shapes). */
  run: (inputs: HostArray[], outputs: HostArray[], infos: tf.TensorInfo[], attrs: tf.NamedAttrMap, ctx: HostContext) => void;
  /** Input names, in the order `run` receives them. */
  inputNames: readonly string[];
}

/** The part of tfjs-backend-wasm's `BackendWasm` the kernels use. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): HostArray;
}

/** The part of tfjs-backend-cpu's `MathBackendCPU` the kernels use. */
interface CpuBackend {
  data: { get(dataId: object): { values: HostArray } };
  makeTensorInfo(shape: number[], dtype: string, values: HostArray): tf.TensorInfo;
}

function allocate(spec: OutputSpec): HostArray {
  const n = sizeOf(spec.shape);
  return spec.dtype === 'float32' ? new Float32Array(n) : new Int32Array(n);
}

function wasmKernel(config: HostKernelConfig): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const wasm = backend as WasmBackend;
    const infos = config.inputNames.map((n) => inputs[n] as tf.TensorInfo);
    const specs = config.outputs(infos, attrs ?? {});
    // Outputs first: allocating may grow the heap, which detaches earlier views of it.
    const outs = specs.map((s) => wasm.makeOutput(s.shape, s.dtype));
    const simd = simdKernels();
    const ctx: HostContext = simd === null
      ? { accumulate: 'float32' }
      : { accumulate: 'float32', wasm: { simd, inputs: infos.map(heapOffset), outputs: outs.map(heapOffset) } };
    config.run(infos.map((i) => wasm.typedArrayFromHeap(i)), outs.map((o) => wasm.typedArrayFromHeap(o)), infos, attrs ?? {}, ctx);
    return outs.length === 1 ? (outs[0] as tf.TensorInfo) : outs;
  };
}

function cpuKernel(config: HostKernelConfig): tf.KernelFunc {
  const ctx: HostContext = { accumulate: 'float64' };
  return ({ inputs, backend, attrs }) => {
    const cpu = backend as CpuBackend;
    const infos = config.inputNames.map((n) => inputs[n] as tf.TensorInfo);
    const specs = config.outputs(infos, attrs ?? {});
    const values = specs.map(allocate);
    config.run(infos.map((i) => cpu.data.get(i.dataId).values), values, infos, attrs ?? {}, ctx);
    const outs = specs.map((s, i) => cpu.makeTensorInfo(s.shape, s.dtype, values[i] as HostArray));
    return outs.length === 1 ? (outs[0] as tf.TensorInfo) : outs;
  };
}

/** The tfjs backends whose tensors Loom's host kernels can read and write. */
const HOST_BACKENDS: readonly [string, (c: HostKernelConfig) => tf.KernelFunc][] = [
  ['wasm', wasmKernel],
  ['cpu', cpuKernel],
];

/**
 * Registers a host kernel for the wasm and cpu backends (once: a module evaluated
 * again, as jest does per test file, finds it registered).
 */
export function registerHostKernel(config: HostKernelConfig): void {
  for (const [backendName, make] of HOST_BACKENDS) {
    if (tf.getKernel(config.kernelName, backendName) === undefined) {
      tf.registerKernel({ kernelName: config.kernelName, backendName, kernelFunc: make(config) });
    }
  }
}

let enabled = true;

/**
 * Turns the host kernels off (the ops then run the tfjs kernels they replace, as on a
 * backend without host kernels) or back on; returns the previous setting. For tests
 * that compare the two, and for measuring what the host kernels save.
 * @internal
 */
export function setHostKernelsEnabled(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/** Whether the active backend runs `kernelName` (else the op uses its tfjs fallback). */
export function hasHostKernel(kernelName: string): boolean {
  return enabled && tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}

/** Runs a registered host kernel on the active backend. */
export function runHostKernel(kernelName: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}): tf.Tensor | tf.Tensor[] {
  return tf.engine().runKernel(kernelName, inputs, attrs) as tf.Tensor | tf.Tensor[];
}

/** An int32 view of a float32 array's bits (no copy). */
export function bitsOf(values: HostArray): Int32Array {
  return new Int32Array(values.buffer, values.byteOffset, values.length);
}
