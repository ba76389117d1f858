/**
 * Real worker processes: a coordinator in this process, three `node` workers that join
 * it, form the ring over TCP, broadcast and all-reduce, and report hashes of their
 * results: every replica must hold the same bits.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { CoordinatorServer } from '../src';
import { referenceSum, seeded } from './ring-harness';

const WORKERS = 3;
const LENGTH = 1_000_003;

function runWorker(coordinator: string, id: string): Promise<Record<string, number | string>> {
  const args = ['-r', path.join(__dirname, 'fixtures/swc-register.js'), path.join(__dirname, 'fixtures/ring-worker.ts'), coordinator, id, String(LENGTH)];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { timeout: 60_000, env: { ...process.env, LOOM_LOG: 'silent' } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`worker ${id} failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop() as string));
    });
  });
}

test('three worker processes: identical parameters and gradients on every rank', async () => {
  const coordinator = new CoordinatorServer({ minWorkers: WORKERS, rendezvousTimeoutMs: 60_000 });
  try {
    const address = await coordinator.start();
    const results = await Promise.all(Array.from({ length: WORKERS }, (_, i) => runWorker(address, `proc-${i}`)));
    expect(results.map((r) => r['rank']).sort()).toEqual([0, 1, 2]);
    expect(new Set(results.map((r) => r['params'])).size).toBe(1);
    expect(new Set(results.map((r) => r['grads'])).size).toBe(1);
    const reference = referenceSum(Array.from({ length: WORKERS }, (_, r) => seeded(LENGTH, r)), Array(WORKERS).fill(1 / WORKERS));
    const expectedSum = reference.reduce((a, b) => a + b, 0);
    expect(Math.abs((results[0]?.['sum'] as number) - expectedSum)).toBeLessThan(1e-2);
    for (const r of results) expect(r['bytesSent']).toBeLessThan(((2 * (WORKERS - 1)) / WORKERS) * LENGTH * 4 * 1.001 + 4096);
  } finally {
    await coordinator.close();
  }
}, 90_000);
