/**
 * A bug that leaves a promise rejection unhandled (planted in fixtures/unhandled-job.ts's
 * dataset) ends `loom` with exit code 1 and an "internal error" naming it, instead of the
 * wasm backend's rethrow (exit code 7, a bare stack).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const BIN = path.resolve(__dirname, '../bin/loom.js');
const JOB = path.resolve(__dirname, 'fixtures/unhandled-job.ts');

test('an unhandled promise rejection stops the run with exit code 1, says what it was and what to do', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-faults-internal-'));
  try {
    const r = spawnSync(process.execPath, [BIN, 'train', JOB, '--epochs', '2', '--run-dir', path.join(root, 'run')], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, LOOM_LOG: 'silent' } });
    expect({ status: r.status, signal: r.signal }).toEqual({ status: 1, signal: null });
    expect(r.stderr).toMatch(/^loom: internal error: a promise rejection was not handled: Error: left unhandled on purpose by unhandled-job\.ts\n/m);
    expect(r.stderr).toMatch(/\nhelp: this is a bug in Loom or in the job's code; the run stopped here: resume it from its last checkpoint with --resume/);
    // Stopped at the bug: the second epoch never ran.
    expect(r.stdout).not.toContain('Epoch 2');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
