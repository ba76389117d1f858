/**
 * Failures in worker threads, injected by a dataset that misbehaves at one index: a
 * thrown exception, a hang, process.exit(), an uncaught error, a value that cannot be
 * sent, a failing workerInitFn. Each surfaces as a typed error in the main loop and
 * leaves no thread behind (jest exits without --forceExit).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ready } from '@loom/tensor';
import { DataLoader, DataLoaderTimeoutError, DataLoaderWorkerError, DataLoaderWorkerExitError, type Dataset } from '@loom/data';

const FIXTURES = `'use strict';
/** [Float32Array [i], i], except at index \`at\`, where \`fault\` happens. */
class Faulty {
  constructor(n, fault, at) { this.n = n; this.fault = fault; this.at = at; }
  get length() { return this.n; }
  getItem(i) {
    if (i === this.at) {
      switch (this.fault) {
        case 'throw': throw new RangeError('sample ' + i + ' is corrupt');
        case 'hang': for (;;) {}
        case 'exit': process.exit(7);
        case 'uncaught':
          setTimeout(() => { throw new TypeError('uncaught in a timer'); }, 10);
          return new Promise(() => {});
        case 'unsendable': return [Float32Array.of(i), () => i];
      }
    }
    return [Float32Array.of(i), i];
  }
  workerSpec() { return { module: __filename, exportName: 'Faulty', args: [this.n, this.fault, this.at] }; }
}
function failingInit(workerId) { throw new Error('init of worker ' + workerId + ' failed'); }
module.exports = { Faulty, failingInit };
`;

type Fault = 'throw' | 'hang' | 'exit' | 'uncaught' | 'unsendable' | 'none';
let dir: string;
let fixturePath: string;
let Faulty: new (n: number, fault: Fault, at: number) => Dataset<[Float32Array, number]>;

beforeAll(async () => {
  await ready();
  dir = mkdtempSync(join(tmpdir(), 'loom-dataloader-'));
  fixturePath = join(dir, 'faulty.js');
  writeFileSync(fixturePath, FIXTURES);
  ({ Faulty } = require(fixturePath) as { Faulty: typeof Faulty });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Iterates to the end; returns the error thrown and the batches seen before it. */
async function drain(loader: DataLoader<never, unknown>): Promise<{ error: unknown; batches: number }> {
  let batches = 0;
  try {
    for await (const batch of loader) {
      void batch;
      batches++;
    }
  } catch (error) {
    return { error, batches };
  }
  return { error: null, batches };
}

describe('DataLoader worker failures', () => {
  it('re-raises an exception of getItem with the worker id, the sample index and the original stack', async () => {
    const loader = new DataLoader(new Faulty(8, 'throw', 5), { batchSize: 2, numWorkers: 2 });
    const { error, batches } = await drain(loader as never);
    expect(batches).toBe(2); // batches 0 and 1; batch 2 holds sample 5
    expect(error).toBeInstanceOf(DataLoaderWorkerError);
    const e = error as DataLoaderWorkerError;
    expect(e.code).toBe('LOOM_DATALOADER_WORKER');
    expect([e.workerId, e.sampleIndex, e.batchIndex, e.stage, e.originalName]).toEqual([0, 5, 2, 'fetch', 'RangeError']);
    expect(e.originalStack).toContain('sample 5 is corrupt');
    expect(e.originalStack).toContain(fixturePath);
    expect(e.message).toMatch(/^Caught RangeError in DataLoader worker 0 while fetching sample 5 \(batch 2\)\.\nOriginal stack/);
    expect(loader.stats()).toMatchObject({ poolsStarted: 1, poolsDestroyed: 1 });
  });

  it('raises a timeout error when a worker hangs past timeout, and stops the hung thread', async () => {
    const loader = new DataLoader(new Faulty(4, 'hang', 0), { numWorkers: 2, timeout: 1 });
    const started = Date.now();
    const { error, batches } = await drain(loader as never);
    expect(batches).toBe(0);
    expect(error).toBeInstanceOf(DataLoaderTimeoutError);
    expect((error as Error).message).toMatch(/DataLoader timed out after 1 seconds waiting for batch 0 from worker 0/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(loader.stats()).toMatchObject({ poolsStarted: 1, poolsDestroyed: 1 });
  });

  it.each<[Fault, RegExp]>([
    ['exit', /DataLoader worker 1 exited unexpectedly: .*exited with code 7/],
    ['uncaught', /DataLoader worker 1 exited unexpectedly: uncaught TypeError: uncaught in a timer/],
  ])('reports a worker thread that dies (%s) and shuts the pool down', async (fault, message) => {
    const loader = new DataLoader(new Faulty(4, fault, 1), { numWorkers: 2 });
    const { error } = await drain(loader as never);
    expect(error).toBeInstanceOf(DataLoaderWorkerExitError);
    expect((error as Error).message).toMatch(message);
    expect((error as DataLoaderWorkerExitError).workerId).toBe(1);
    expect(loader.stats()).toMatchObject({ poolsStarted: 1, poolsDestroyed: 1 });
  });

  it('reports a batch that cannot be sent to the main thread without killing the worker', async () => {
    const { error } = await drain(new DataLoader(new Faulty(4, 'unsendable', 2), { batchSize: null, numWorkers: 1 }) as never);
    expect(error).toBeInstanceOf(DataLoaderWorkerError);
    expect((error as DataLoaderWorkerError).stage).toBe('send');
    expect((error as Error).message).toMatch(/while sending batch 2 to the main thread\.[^]*holds a function/);
  });

  it('reports a failing workerInitFn at the first batch, as PyTorch', async () => {
    const loader = new DataLoader(new Faulty(4, 'none', -1), { numWorkers: 1, workerInitFn: { module: fixturePath, exportName: 'failingInit' } });
    const { error, batches } = await drain(loader as never);
    expect(batches).toBe(0);
    expect((error as DataLoaderWorkerError).stage).toBe('init');
    expect((error as Error).message).toMatch(/Caught Error in DataLoader worker 0 while starting .*\n[^]*init of worker 0 failed/);
  });

  it('ends the iteration after an error', async () => {
    const it = new DataLoader(new Faulty(4, 'throw', 0), { numWorkers: 1 })[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toThrow(DataLoaderWorkerError);
    await expect(it.next()).resolves.toEqual({ done: true, value: undefined });
  });
});
