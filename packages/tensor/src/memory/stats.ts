/** Memory counters, for tests and for users chasing a leak. */
import * as tf from '@tensorflow/tfjs-core';
import { liveTensorCount } from '../tensor';

/** What {@link memoryStats} reports. */
export interface MemoryStats {
  /** Loom tensors not yet released. */
  loomTensors: number;
  /** TensorFlow.js tensors alive (Loom's plus kernel temporaries and saved values). */
  tfjsTensors: number;
  /** Bytes held by TensorFlow.js tensors. */
  tfjsBytes: number;
  /** Size of the wasm heap in bytes (it grows, never shrinks); 0 on other backends. */
  wasmHeapBytes: number;
}

/**
 * Counts live tensors and memory.
 *
 * @example
 * ```ts
 * const before = memoryStats().tfjsTensors;
 * ```
 */
export function memoryStats(): MemoryStats {
  const m = tf.memory();
  let wasmHeapBytes = 0;
  if (tf.getBackend() === 'wasm') {
    const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
    wasmHeapBytes = backend.wasm?.HEAPU8?.byteLength ?? 0;
  }
  return { loomTensors: liveTensorCount(), tfjsTensors: m.numTensors, tfjsBytes: m.numBytes, wasmHeapBytes };
}
