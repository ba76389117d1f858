/**
 * Multi-threaded wasm in Node: starts tfjs-backend-wasm's threaded SIMD build
 * (`tfjs-backend-wasm-threaded-simd.wasm`, emscripten pthreads on `worker_threads`) so
 * that XNNPACK's matmul and convolution kernels use several cores.
 *
 * NOTE [wasm threads in Node]
 * tfjs-backend-wasm 4.22 ships the threaded build but never picks it in Node
 * (`WASM_HAS_MULTITHREAD_SUPPORT` answers false there, tfjs#3830): it hands emscripten
 * two scripts as browser Blob URLs, the pthread worker and the module factory's source,
 * and a Node `Worker` can load neither. The emscripten glue itself runs on
 * `worker_threads`. While `tf.setBackend('wasm')` runs, {@link withWasmThreads} swaps in:
 *
 *   - `Blob` -> {@link FileBlob}: the script is written to a temporary file, with a
 *     prelude (the factory's source refers to names of the tfjs bundle's module scope;
 *     the worker must map its copy of the factory "Blob" back to that file);
 *   - `URL.createObjectURL` -> the file's path, which `new Worker()` and the worker's
 *     `importScripts` (fs + eval in Node) can load;
 *   - `os.cpus`: backend.cc sizes XNNPACK's pool as min(threads, logical cores / 2),
 *     assuming two hyper-threads per core; emscripten answers the core count in Node
 *     with `os.cpus().length`, so it is reported as 2 x threads for that one question.
 *
 *   main thread                                 emscripten's pool (8 worker_threads)
 *   tf.setBackend('wasm')
 *     factory(Module) ── new Worker(tmp/a.js) ─> worker.js + prelude
 *     instantiate wasm ── 'load' {module, mem} ─> importScripts(tmp/b.js): factory
 *     init_with_threads_count(n): pthreadpool ─> n - 1 workers run XNNPACK's threads
 *   afterwards: unref those n - 1 (their threads never end: a Node process must still
 *   exit by itself), terminate the idle workers, delete tmp/.
 *
 * Workers are only created during that window (XNNPACK's pool is fixed at start-up),
 * so nothing later needs the shims or the files.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
// The default import is the module object itself, which the tfjs bundle also requires
// (a namespace import would be a copy, and patching `cpus` on it would not reach tfjs).
import os from 'node:os';
import * as path from 'node:path';
import { BackendError } from '../errors';
import { log } from './log';

/** Loaded on first use, as backend.ts loads each backend only when it is chosen. */
function wasmPackage(): typeof import('@tensorflow/tfjs-backend-wasm') {
  return require('@tensorflow/tfjs-backend-wasm');
}

const THREADS_ENV = 'LOOM_WASM_THREADS';

/**
 * Threads when `LOOM_WASM_THREADS` is unset: one. Measured on the 2-core dev machine
 * (tfjs-backend-wasm 4.22, Node 20): every op XNNPACK hands to its pool (matmul, conv,
 * relu, ...) pays 0.2 to 1 ms of thread hand-off, so small ops get 10 to 40 times
 * slower (a 64x64 matmul 23 us -> 240 us, relu on 64x512 7 us -> 220 us); the seed
 * MLP step gains (~9.5 -> ~6.8 ms) when both cores are free but falls to ~17-27 ms
 * when other processes use them.
 */
const DEFAULT_THREADS = 1;

/** Most threads the build can run: emscripten's PTHREAD_POOL_SIZE (8) in tfjs's cc/BUILD. */
const MAX_THREADS = 8;

/** backend.cc divides emscripten's logical core count by this before capping the pool. */
const LOGICAL_CORES_PER_CORE = 2;

/** The Blob type tfjs gives the pthread worker script (its factory source is `text/javascript`). */
const WORKER_SCRIPT_TYPE = 'application/javascript';

/**
 * Names the factory's source takes from the tfjs bundle's module scope
 * (`tf-backend-wasm.node.js`: rollup's `require$$N` and `commonjsGlobal`, tslib's
 * iteration helpers), defined again for the worker that evaluates that source alone.
 */
const FACTORY_PRELUDE = `var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), require$$4 = require('os');
var commonjsGlobal = globalThis;
var __values = (o) => o[Symbol.iterator]();
var __read = (o, n) => (n === undefined ? Array.from(o) : Array.from(o).slice(0, n));
var __spreadArray = (to, from) => to.concat(Array.from(from));
`;

/** The worker receives the factory "Blob" as a structured clone: a plain `{ path }`. */
const WORKER_PRELUDE = `URL.createObjectURL = (blob) => blob.path;
URL.revokeObjectURL = () => {};
`;

/** The part of emscripten's pthread bookkeeping ({@link startWasm} tidies it). */
interface PThreadPool {
  runningWorkers: { unref(): void }[];
  unusedWorkers: { terminate(): unknown }[];
}

/**
 * Threads requested by `LOOM_WASM_THREADS` ({@link DEFAULT_THREADS} when unset); `1`
 * selects the single-threaded SIMD build.
 *
 * @example
 * ```ts
 * process.env.LOOM_WASM_THREADS = '2';
 * wasmThreadCount(); // 2
 * ```
 */
export function wasmThreadCount(): number {
  const raw = process.env[THREADS_ENV];
  if (raw === undefined || raw === '') return DEFAULT_THREADS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new BackendError(
      `${THREADS_ENV}=${raw} is not a thread count: expected an integer from 1 to ${MAX_THREADS}`,
      `set it to at most this machine's ${os.availableParallelism()} cores, or unset it for ${DEFAULT_THREADS}`,
    );
  }
  return n;
}

/**
 * The number of threads XNNPACK runs on in the active wasm backend.
 *
 * @example
 * ```ts
 * await startWasm(2);
 * wasmThreadsInUse(); // 2
 * ```
 */
export function wasmThreadsInUse(): number {
  return wasmPackage().getThreadsCount();
}

/**
 * Starts the wasm backend with `threads` threads (the single-threaded build for 1, or
 * when the threaded one fails to start). Returns whether tfjs initialised it, as
 * `tf.setBackend` does.
 *
 * @example
 * ```ts
 * if (!(await startWasm(wasmThreadCount()))) throw new Error('wasm did not start');
 * ```
 */
export async function startWasm(threads: number): Promise<boolean> {
  if (threads > 1) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasmPackage().setThreadsCount(threads);
    let started = false;
    let failure = 'tfjs could not initialise it';
    try {
      started = await withWasmThreads(threads, () => tf.setBackend('wasm'));
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
    }
    if (started) {
      releasePool((tf.backend() as unknown as { wasm: { PThread: PThreadPool } }).wasm.PThread);
      return true;
    }
    log(`wasm: the ${threads}-thread build did not start (${failure}); using 1 thread (set ${THREADS_ENV}=1 to skip it)`);
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  return tf.setBackend('wasm');
}

/** Lets the process exit past XNNPACK's parked threads, and frees the workers it never uses. */
function releasePool(pool: PThreadPool): void {
  for (const worker of pool.runningWorkers) worker.unref();
  for (const worker of pool.unusedWorkers) void worker.terminate();
  pool.unusedWorkers = [];
}

/** A Blob stand-in that keeps its script in a file (see NOTE [wasm threads in Node]). */
class FileBlob {
  readonly type: string;
  readonly path: string;

  constructor(dir: string, index: number, parts: unknown[], options?: { type?: string }) {
    this.type = options?.type ?? '';
    this.path = path.join(dir, `script-${index}.js`);
    const prelude = this.type === WORKER_SCRIPT_TYPE ? WORKER_PRELUDE : FACTORY_PRELUDE;
    fs.writeFileSync(this.path, prelude + parts.join(''));
  }
}

/** Runs `init` with the shims of NOTE [wasm threads in Node] in place, then removes them. */
async function withWasmThreads<T>(threads: number, init: () => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-wasm-threads-'));
  const realBlob = globalThis.Blob;
  const realCreateObjectURL = URL.createObjectURL;
  const realCpus = os.cpus;
  let created = 0;
  globalThis.Blob = function (parts: unknown[], options?: { type?: string }) {
    return new FileBlob(dir, created++, parts, options);
  } as unknown as typeof Blob;
  URL.createObjectURL = (blob) => (blob instanceof FileBlob ? blob.path : realCreateObjectURL(blob));
  const cpu = realCpus()[0];
  os.cpus = () => Array.from({ length: LOGICAL_CORES_PER_CORE * threads }, () => cpu as os.CpuInfo);
  try {
    return await init();
  } finally {
    globalThis.Blob = realBlob;
    URL.createObjectURL = realCreateObjectURL;
    os.cpus = realCpus;
    // Every worker has read both scripts by now: tfjs resolves after all report 'loaded'.
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
