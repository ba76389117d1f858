/**
 * Helpers of the chaos tests: start the real `loom` binary with the sample log on,
 * wait for training to reach a step, and check the log for exactly-once training.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EpochPlan, type SampleLogLine } from '@loom/trainer';

export const BIN = path.resolve(__dirname, '../bin/loom.js');
export const CHAOS_JOB = path.resolve(__dirname, 'fixtures/chaos-job.ts');
/** chaos-job's training set and batch: 320 samples in 10 batches of 32, seed 0 by default. */
export const CHAOS_SAMPLES = 320;
export const CHAOS_BATCH = 32;
/** Per-sample read delay: a 3-worker step then lasts about 100 ms, long enough to hit. */
export const SAMPLE_DELAY_MS = 8;

/** A running `loom` process with its output, each stderr line stamped on arrival. */
export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first stderr line matching `pattern` and when it arrived (ms). */
  line: (pattern: RegExp, timeoutMs?: number) => Promise<{ text: string; at: number }>;
  exit: Promise<number | null>;
}

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'loom-chaos-'));
}

/** Starts `loom ARGS` with the sample log writing to `sampleLog`. */
export function startLoom(args: string[], sampleLog?: string, env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, LOOM_LOG: 'silent', LOOM_CHAOS_SAMPLE_DELAY_MS: String(SAMPLE_DELAY_MS), ...(sampleLog ? { LOOM_DEBUG_SAMPLE_LOG: sampleLog } : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const lines: { text: string; at: number }[] = [];
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
    const at = Date.now();
    for (const text of d.toString().split('\n')) if (text.trim()) lines.push({ text, at });
    for (const l of listeners) l();
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = (pattern: RegExp, timeoutMs = 30_000): Promise<{ text: string; at: number }> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = lines.find((l) => pattern.test(l.text));
        if (found) {
          listeners.delete(listener);
          clearTimeout(timer);
          resolve(found);
        }
        return Boolean(found);
      };
      const listener = (): void => void check();
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`no stderr line matching ${pattern} within ${timeoutMs} ms; stderr:\n${err}`));
      }, timeoutMs);
      listeners.add(listener);
      check();
    });
  return { child, stdout: () => out, stderr: () => err, line, exit };
}

/** Lines of a sample log (commits and final digests). */
export function readSampleLog(file: string): (SampleLogLine | { kind: 'final'; pid: number; rank: number; worldSize: number; digest: string })[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/** Polls the sample log until a commit matches `predicate`; returns it. */
export async function waitForCommit(file: string, predicate: (l: SampleLogLine) => boolean, timeoutMs = 40_000): Promise<SampleLogLine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = readSampleLog(file).find((l): l is SampleLogLine => l.kind === 'commit' && predicate(l));
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no commit matching the predicate in ${file} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Checks the sample log of a run of `epochs` epochs. The lineage of the final model is
 * what the surviving workers (those that wrote a final digest) committed: every global
 * batch was committed under exactly one membership by them (never redone after a
 * commit, never skipped), the pieces recorded by the ranks of that membership are the
 * plan's shards for its world size, and, counting the shards of ranks that died before
 * writing their line, every sample of every epoch was trained exactly once. A dropped
 * worker may have committed a step its neighbours never completed (a hung worker whose
 * last chunks were never delivered); such an orphaned commit left no trace in the
 * survivors' state and is counted, not failed.
 */
export function checkExactlyOnce(lines: ReturnType<typeof readSampleLog>, epochs: number, seed = 0): { memberships: number[]; unrecorded: number; orphaned: number } {
  const survivors = new Set(lines.filter((l) => l.kind === 'final').map((l) => l.pid));
  if (survivors.size === 0) throw new Error('no worker wrote a final digest');
  const commits = lines.filter((l): l is SampleLogLine => l.kind === 'commit');
  const version = (r: SampleLogLine): string => `${r.membershipEpoch}/${r.worldSize}/${r.step}`;
  const memberships: number[] = [];
  let unrecorded = 0;
  let orphaned = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const plan = new EpochPlan({ datasetLength: CHAOS_SAMPLES, batchSize: CHAOS_BATCH, seed, epoch });
    const seen = new Array<number>(CHAOS_SAMPLES).fill(0);
    for (let batch = 0; batch < plan.numBatches; batch++) {
      const all = commits.filter((c) => c.epoch === epoch && c.batch === batch);
      const versions = new Set(all.filter((r) => survivors.has(r.pid)).map(version));
      if (versions.size !== 1) throw new Error(`epoch ${epoch} batch ${batch}: the survivors committed it ${versions.size === 0 ? 'never' : `more than once: ${[...versions].join(', ')}`}`);
      const kept = [...versions][0] as string;
      const records = all.filter((r) => version(r) === kept);
      if (records.length < all.length) orphaned++;
      const { worldSize, membershipEpoch } = records[0] as SampleLogLine;
      memberships.push(membershipEpoch);
      const ranks = new Set(records.map((r) => r.rank));
      if (ranks.size !== records.length) throw new Error(`epoch ${epoch} batch ${batch}: a rank recorded it twice`);
      if (ranks.size < worldSize) unrecorded++;
      for (let rank = 0; rank < worldSize; rank++) {
        const expected = [...plan.shard(batch, rank, worldSize).indices];
        const record = records.find((r) => r.rank === rank);
        if (record && JSON.stringify(record.indices) !== JSON.stringify(expected)) throw new Error(`epoch ${epoch} batch ${batch} rank ${rank}: trained ${record.indices}, the plan says ${expected}`);
        for (const i of expected) seen[i] = (seen[i] as number) + 1;
      }
    }
    const wrong = seen.findIndex((n) => n !== 1);
    if (wrong !== -1) throw new Error(`epoch ${epoch}: sample ${wrong} trained ${seen[wrong]} times`);
  }
  return { memberships, unrecorded, orphaned };
}

/** The `kind: "epoch"` lines of a run dir's metrics.jsonl. */
export function epochMetrics(runDir: string): Record<string, number>[] {
  return fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((m) => m.kind === 'epoch');
}
