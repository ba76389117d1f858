/**
 * Backend selection: which TensorFlow.js kernels run Loom's ops.
 *
 * Order of preference (first that loads wins, unless `LOOM_BACKEND` forces one):
 *   1. `tensorflow`: `@tensorflow/tfjs-node-gpu` (device `cuda`) or
 *      `@tensorflow/tfjs-node` (device `cpu`), when installed. Their install script
 *      downloads libtensorflow, so on machines without that download they are absent.
 *   2. `wasm`: `@tensorflow/tfjs-backend-wasm` (XNNPACK, SIMD), the default that works
 *      everywhere Node runs; on several threads with `LOOM_WASM_THREADS=N` (see
 *      NOTE [wasm threads in Node] in `wasm-threads.ts`).
 *   3. `cpu`: `@tensorflow/tfjs-backend-cpu`, pure JavaScript, the last resort.
 *
 * The wasm backend initialises asynchronously (it compiles a WebAssembly module), so
 * kernels are usable once {@link ready} has resolved. Tensors can be *created* before
 * that (their values wait on the host), which lets a model be constructed at module
 * top level as in PyTorch; the DataLoader and the Trainer await `ready()` themselves.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../errors';
import { log } from './log';
import { startWasm, wasmThreadCount, wasmThreadsInUse } from './wasm-threads';

/** A backend name accepted by `LOOM_BACKEND` and {@link setBackend}. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** The device kinds Loom knows, as in PyTorch. */
export type DeviceType = 'cpu' | 'cuda';

/** What {@link backendInfo} reports about the active backend. */
export interface BackendInfo {
  /** Loom's name for the backend. */
  name: BackendName;
  /** The tfjs backend name underneath (`wasm`, `cpu`, `tensorflow`). */
  tfjsName: string;
  /** The device the kernels run on. */
  device: DeviceType;
  /** A one-line human description, e.g. `wasm (SIMD, 1 thread)`. */
  description: string;
}

const BACKEND_ENV = 'LOOM_BACKEND';
const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/** Packages that provide the `tensorflow` backend, GPU build first. */
const TFJS_NODE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

const TFJS_NODE_INSTALL_HINT =
  'install @tensorflow/tfjs-node-gpu (CUDA 11.2 + cuDNN 8.1 on Linux x64) or @tensorflow/tfjs-node; ' +
  'their install script downloads libtensorflow from storage.googleapis.com, so it must be reachable ' +
  '(or set TFJS_NODE_CDN_STORAGE / place the library under node_modules/@tensorflow/tfjs-node*/deps)';

let active: BackendInfo | null = null;
let readyPromise: Promise<BackendInfo> | null = null;
let tensorflowPackage: string | null = null;
let tensorflowLoadError: string | null = null;

/** Tries to load a tfjs-node flavour; remembers why it failed for error messages. */
function loadTensorflowPackage(): string | null {
  if (tensorflowPackage !== null || tensorflowLoadError !== null) return tensorflowPackage;
  const reasons: string[] = [];
  for (const pkg of TFJS_NODE_PACKAGES) {
    try {
      // A dynamic name keeps bundlers and the type checker from requiring the package.
      require(pkg);
      tensorflowPackage = pkg;
      return pkg;
    } catch (err) {
      reasons.push(`${pkg}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
  }
  tensorflowLoadError = reasons.join('; ');
  return null;
}

function requestedBackend(): BackendName | null {
  const raw = process.env[BACKEND_ENV];
  if (raw === undefined || raw === '') return null;
  if (!(BACKEND_NAMES as readonly string[]).includes(raw)) {
    throw new BackendError(
      `${BACKEND_ENV}=${raw} is not a backend: expected one of ${BACKEND_NAMES.join(', ')}`,
      `unset ${BACKEND_ENV} to let Loom choose, or set it to wasm (always available)`,
    );
  }
  return raw as BackendName;
}

function describe(name: BackendName): BackendInfo {
  if (name === 'tensorflow') {
    const gpu = tensorflowPackage === '@tensorflow/tfjs-node-gpu';
    return {
      name,
      tfjsName: 'tensorflow',
      device: gpu ? 'cuda' : 'cpu',
      description: `tensorflow (${tensorflowPackage}, libtensorflow${gpu ? ', CUDA' : ''})`,
    };
  }
  if (name === 'wasm') {
    const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    const threads = wasmThreadsInUse();
    const description = `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})`;
    return { name, tfjsName: 'wasm', device: 'cpu', description };
  }
  return { name, tfjsName: 'cpu', device: 'cpu', description: 'cpu (pure JavaScript)' };
}

async function activate(name: BackendName): Promise<BackendInfo> {
  if (name === 'tensorflow') {
    if (loadTensorflowPackage() === null) {
      throw new BackendError(`backend 'tensorflow' is not installed (${tensorflowLoadError})`, TFJS_NODE_INSTALL_HINT);
    }
  } else if (name === 'wasm') {
    require('@tensorflow/tfjs-backend-wasm');
  } else {
    require('@tensorflow/tfjs-backend-cpu');
  }
  const ok = name === 'wasm' ? await startWasm(wasmThreadCount()) : await tf.setBackend(name);
  if (!ok) throw new BackendError(`backend '${name}' failed to initialise`);
  await tf.ready();
  return describe(name);
}

async function chooseBackend(): Promise<BackendInfo> {
  // PROD mode turns off tfjs's debug checks and its console banner for the cpu backend;
  // Loom reports the chosen backend itself, once.
  tf.enableProdMode();
  const forced = requestedBackend();
  // A bad LOOM_WASM_THREADS is a configuration error, not a reason to fall back to cpu.
  wasmThreadCount();
  const order: BackendName[] = forced
    ? [forced]
    : loadTensorflowPackage() !== null
      ? ['tensorflow', 'wasm', 'cpu']
      : ['wasm', 'cpu'];
  const failures: string[] = [];
  for (const name of order) {
    try {
      const info = await activate(name);
      if (failures.length > 0) log(`backend fallback: ${failures.join('; ')}`);
      log(`backend: ${info.description}, device: ${info.device}`);
      return info;
    } catch (err) {
      if (forced) throw err;
      failures.push(`${name} unavailable (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
    }
  }
  throw new BackendError(`no TensorFlow.js backend could start: ${failures.join('; ')}`);
}

/**
 * Starts (once) and awaits the backend. Safe to call many times.
 *
 * @example
 * ```ts
 * import { ready, tensor } from '@loom/tensor';
 * await ready();
 * tensor([1, 2, 3]).mul(2).toArray(); // [2, 4, 6]
 * ```
 */
export function ready(): Promise<BackendInfo> {
  if (readyPromise === null) {
    readyPromise = chooseBackend().then((info) => {
      active = info;
      return info;
    });
  }
  return readyPromise;
}

/**
 * Forces a backend (as `LOOM_BACKEND` does) and awaits it. Tensors created on the
 * previous backend must not be used afterwards.
 *
 * @example
 * ```ts
 * await setBackend('cpu');
 * ```
 */
export async function setBackend(name: BackendName): Promise<BackendInfo> {
  if (!BACKEND_NAMES.includes(name)) {
    throw new BackendError(`setBackend: '${String(name)}' is not a backend: expected one of ${BACKEND_NAMES.join(', ')}`);
  }
  tf.enableProdMode();
  const info = await activate(name);
  active = info;
  readyPromise = Promise.resolve(info);
  return info;
}

/** The active backend, or `null` before {@link ready} resolved. */
export function backendInfo(): BackendInfo | null {
  return active;
}

/**
 * Throws unless the backend is ready; called by every kernel launch.
 * @internal
 */
export function assertReady(op: string): void {
  if (active !== null) return;
  throw new BackendError(
    `${op}: the TensorFlow.js backend is still starting`,
    "await ready() from '@loom/tensor' once before the first computation (the DataLoader and the Trainer do it for you)",
  );
}

/** PyTorch's `torch.cuda`: whether a CUDA device can run Loom's kernels. */
export const cuda = {
  /**
   * True when `@tensorflow/tfjs-node-gpu` is installed and loads.
   *
   * @example
   * ```ts
   * const device = cuda.isAvailable() ? 'cuda' : 'cpu';
   * ```
   */
  isAvailable(): boolean {
    return loadTensorflowPackage() === '@tensorflow/tfjs-node-gpu';
  },
  /** Number of CUDA devices visible to this process (tfjs-node-gpu drives one). */
  deviceCount(): number {
    return this.isAvailable() ? 1 : 0;
  },
};

/**
 * Checks that `device` can be used in this process and normalises it (`cuda:0` to
 * `cuda`). Throws a {@link BackendError} with the install hint when it cannot.
 * @internal
 */
export function resolveDevice(device: string, op: string): DeviceType {
  const [kind, index] = device.split(':');
  if (kind === 'cpu') return 'cpu';
  if (kind === 'cuda') {
    if (index !== undefined && index !== '0') {
      throw new BackendError(
        `${op}: device '${device}' is not visible: tfjs-node-gpu drives one GPU per process`,
        'launch one worker per GPU (loom launch --device cuda sets CUDA_VISIBLE_DEVICES for each)',
      );
    }
    if (!cuda.isAvailable()) {
      throw new BackendError(
        `${op}: device 'cuda' is not available: @tensorflow/tfjs-node-gpu is not installed` +
          (tensorflowLoadError ? ` (${tensorflowLoadError})` : ''),
        TFJS_NODE_INSTALL_HINT,
      );
    }
    if (active !== null && active.device !== 'cuda') {
      throw new BackendError(
        `${op}: device 'cuda' needs the tensorflow backend, but '${active.name}' is active`,
        `unset LOOM_BACKEND (now ${process.env[BACKEND_ENV] ?? 'unset'}) or set it to tensorflow`,
      );
    }
    return 'cuda';
  }
  throw new BackendError(`${op}: unknown device '${device}': expected 'cpu' or 'cuda'`);
}
