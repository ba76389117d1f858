/**
 * The threaded wasm build (NOTE [wasm threads in Node] in wasm-threads.ts): same
 * results as the single-threaded build, and a Node process that uses it exits by
 * itself. Each configuration runs in its own child process, as the backend is chosen
 * once per process.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { wasmThreadCount } from './wasm-threads';

const CHILD = path.join(__dirname, 'testing/wasm-threads-child.js');
/** Transpiling Loom's sources and starting 8 worker threads, on a busy 2-core machine. */
const CHILD_TIMEOUT_MS = 60_000;
/** XNNPACK splits the same micro-kernels over threads; allow float32 reordering all the same. */
const RTOL = 1e-5;
const ATOL = 1e-5;

interface ChildOutput {
  description: string;
  results: Record<string, string>;
}

/** Runs the child with `LOOM_WASM_THREADS=threads`; fails unless it exits by itself with 0. */
function runChild(threads: number): ChildOutput {
  const run = spawnSync(process.execPath, [CHILD], {
    encoding: 'utf8',
    timeout: CHILD_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, LOOM_LOG: 'silent', LOOM_BACKEND: 'wasm', LOOM_WASM_THREADS: String(threads) },
  });
  if (run.status !== 0) {
    const how = run.signal ? `was killed (${run.signal}) after ${CHILD_TIMEOUT_MS} ms: it did not exit by itself` : `exited with ${run.status}`;
    throw new Error(`wasm-threads-child with ${threads} thread(s) ${how}:\n${run.stderr}`);
  }
  return JSON.parse(run.stdout) as ChildOutput;
}

function decode(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / Float32Array.BYTES_PER_ELEMENT);
}

describe('wasm backend on 2 threads', () => {
  let single: ChildOutput;
  let threaded: ChildOutput;
  beforeAll(() => {
    single = runChild(1);
    threaded = runChild(2);
  }, 2 * CHILD_TIMEOUT_MS);

  test('starts the threaded build and exits by itself', () => {
    expect(single.description).toMatch(/^wasm \(SIMD, 1 thread\)$/);
    expect(threaded.description).toMatch(/^wasm \(SIMD, 2 threads\)$/);
  });

  test.each(['matmul', 'conv2d', 'sum'])('%s equals the single-threaded result', (op) => {
    const want = decode(single.results[op]!);
    const got = decode(threaded.results[op]!);
    expect(got.length).toBe(want.length);
    let worst = 0;
    for (let i = 0; i < want.length; i++) {
      worst = Math.max(worst, Math.abs(got[i]! - want[i]!) - (ATOL + RTOL * Math.abs(want[i]!)));
    }
    expect(worst).toBeLessThanOrEqual(0);
  });
});

describe('LOOM_WASM_THREADS', () => {
  const saved = process.env['LOOM_WASM_THREADS'];
  afterEach(() => {
    if (saved === undefined) delete process.env['LOOM_WASM_THREADS'];
    else process.env['LOOM_WASM_THREADS'] = saved;
  });

  test('defaults to one thread', () => {
    delete process.env['LOOM_WASM_THREADS'];
    expect(wasmThreadCount()).toBe(1);
  });

  test.each(['0', '9', '1.5', 'two'])('rejects %s, naming the variable and the range', (raw) => {
    process.env['LOOM_WASM_THREADS'] = raw;
    expect(() => wasmThreadCount()).toThrow(`LOOM_WASM_THREADS=${raw} is not a thread count: expected an integer from 1 to 8`);
  });
});
