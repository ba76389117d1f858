#!/usr/bin/env node
// Quickstart training epoch (Fashion-MNIST, 784-512-512-10 MLP, SGD, batch 64) with
// the real `loom` binary: one process (`loom train`) and N workers (`loom launch
// --nproc-per-node N`: a coordinator and N processes with a ring all-reduce over gRPC),
// next to PyTorch's seed program (tools/bench/torch/seed_quickstart.py, one thread)
// and PyTorch's own DistributedDataParallel with N processes (torch/seed_ddp.py: gloo,
// one thread per process, a DistributedSampler shard of batch 64/N each), what data
// parallelism gains on this machine with PyTorch's own implementation,
// all in this invocation. Times are training only (the test loop is left out); each
// figure is the median of --reps runs.
//
//   node tools/bench/quickstart-epoch.js                 # full epochs (938 steps)
//   node tools/bench/quickstart-epoch.js --steps 200     # the first 200 batches only
//   npm run bench -- quickstart-epoch
//
// --baseline DIR also runs the N-worker configurations with another built checkout's
// binary (DIR/apps/cli/bin/loom.js), for before/after comparisons in one invocation.
//
// With --steps the epoch time is extrapolated to 60000 samples from the samples/s of
// the shorter run; PyTorch always runs its full epoch (its samples/s is compared).
// Target (issue 5): N=2 faster than 1 worker and than PyTorch.
'use strict';
process.env.LOOM_LOG ??= 'silent';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { hasTorch, runPython, report, unpackFashionMnist, median } = require('./common');

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'apps/cli/bin/loom.js');
/** The bench job, relative to a checkout (each binary loads the one of its own checkout: one copy of @loom/tensor). */
const JOB_IN_CHECKOUT = 'tools/bench/jobs/quickstart-steps.ts';
/** Samples of one Fashion-MNIST training epoch. */
const EPOCH_SAMPLES = 60000;

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const STEPS = Number(option('steps', '0'));
const REPS = Number(option('reps', '3'));
const WORKERS = option('workers', '2').split(',').map(Number);
const TORCH_THREADS = Number(option('torch-threads', '1'));
const BASELINE = option('baseline', null);

/** One Loom run; returns the epoch event of metrics.jsonl (seconds, samplesPerSecond). */
function loomEpoch(args, bin = BIN) {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-bench-epoch-'));
  try {
    const job = path.resolve(path.dirname(bin), '../../..', JOB_IN_CHECKOUT);
    const r = spawnSync(process.execPath, [bin, ...args, job, '--epochs', '1', '--run-dir', runDir], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, LOOM_BENCH_STEPS: String(STEPS) },
    });
    if (r.status !== 0) throw new Error(`loom ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
    const events = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const epoch = events.find((e) => e.kind === 'epoch');
    if (!epoch) throw new Error(`loom ${args.join(' ')} wrote no epoch event`);
    return epoch;
  } finally {
    fs.rmSync(runDir, { recursive: true, force: true });
  }
}

/** PyTorch's seed program for one epoch; returns { seconds, samplesPerSecond } or null. */
function torchEpoch(dataRoot) {
  const out = runPython([path.join(__dirname, 'torch/seed_quickstart.py'), dataRoot, '1', String(TORCH_THREADS)]);
  const m = out && /train_s ([\d.]+) test_s [\d.]+ samples_per_s (\d+)/.exec(out);
  return m ? { seconds: Number(m[1]), samplesPerSecond: Number(m[2]) } : null;
}

/** PyTorch DDP (gloo) with `world` processes; returns { seconds, samplesPerSecond } or null. */
function torchDdpEpoch(dataRoot, world) {
  const out = runPython([path.join(__dirname, 'torch/seed_ddp.py'), dataRoot, String(world), String(STEPS), String(TORCH_THREADS)]);
  const m = out && /train_s ([\d.]+) samples_per_s (\d+)/.exec(out);
  return m ? { seconds: Number(m[1]), samplesPerSecond: Number(m[2]) } : null;
}

function summarise(runs) {
  const rate = median(runs.map((r) => r.samplesPerSecond));
  return { rate, epochSeconds: EPOCH_SAMPLES / rate, runSeconds: median(runs.map((r) => r.seconds)) };
}

function main() {
  const load = os.loadavg()[0].toFixed(1);
  const scope = STEPS > 0 ? `first ${STEPS} steps of an epoch, extrapolated to ${EPOCH_SAMPLES} samples` : 'full epochs';
  process.stdout.write(`quickstart-epoch: ${scope}, median of ${REPS}, ${os.cpus().length} CPUs, load ${load} at start, node ${process.version}\n`);
  const launches = (bin, label) => WORKERS.map((n) => ({ name: `${n} workers (loom launch)${label}`, workers: n, args: ['launch', '--nproc-per-node', String(n)], bin }));
  const configs = [{ name: '1 process (loom train)', workers: 1, args: ['train'], bin: BIN }, ...launches(BIN, ''), ...(BASELINE ? launches(path.resolve(BASELINE, 'apps/cli/bin/loom.js'), ', baseline') : [])];
  const runs = new Map(configs.map((c) => [c.name, []]));
  const torchRuns = [];
  const ddpRuns = new Map(WORKERS.map((n) => [n, []]));
  const dataRoot = hasTorch() ? unpackFashionMnist() : null;
  try {
    // Interleaved, so that a change of the machine's load touches every configuration alike.
    for (let rep = 0; rep < REPS; rep++) {
      for (const c of configs) runs.get(c.name).push(loomEpoch(c.args, c.bin));
      const t = dataRoot ? torchEpoch(dataRoot) : null;
      if (t) torchRuns.push(t);
      for (const n of WORKERS) {
        const d = dataRoot ? torchDdpEpoch(dataRoot, n) : null;
        if (d) ddpRuns.get(n).push(d);
      }
    }
  } finally {
    if (dataRoot) fs.rmSync(dataRoot, { recursive: true, force: true });
  }
  const torch = torchRuns.length ? summarise(torchRuns) : null;
  const single = summarise(runs.get(configs[0].name));
  for (const c of configs) {
    const s = summarise(runs.get(c.name));
    process.stdout.write(
      `  ${c.name.padEnd(36)} ${s.rate.toFixed(0).padStart(6)} samples/s  ${s.epochSeconds.toFixed(1).padStart(6)} s/epoch` +
        (c.workers > 1 ? `  speed-up vs 1 process ${(single.epochSeconds / s.epochSeconds).toFixed(2)}x` : '') +
        (torch ? `  vs PyTorch ${(torch.epochSeconds / s.epochSeconds).toFixed(2)}x` : '') +
        '\n',
    );
  }
  if (torch) process.stdout.write(`  ${`PyTorch seed program (${TORCH_THREADS} thread)`.padEnd(36)} ${torch.rate.toFixed(0).padStart(6)} samples/s  ${torch.epochSeconds.toFixed(1).padStart(6)} s/epoch\n`);
  const ddp = new Map();
  for (const n of WORKERS) {
    if (ddpRuns.get(n).length === 0) continue;
    const d = summarise(ddpRuns.get(n));
    ddp.set(n, d);
    const loomN = summarise(runs.get(configs.find((c) => c.workers === n).name));
    process.stdout.write(
      `  ${`PyTorch DDP, gloo, ${n} processes`.padEnd(36)} ${d.rate.toFixed(0).padStart(6)} samples/s  ${d.epochSeconds.toFixed(1).padStart(6)} s/epoch` +
        (torch ? `  speed-up vs PyTorch's 1 process ${(torch.epochSeconds / d.epochSeconds).toFixed(2)}x` : '') +
        `  Loom ${n} workers vs it ${(d.epochSeconds / loomN.epochSeconds).toFixed(2)}x\n`,
    );
  }
  for (const c of configs) {
    const s = summarise(runs.get(c.name));
    report({
      bench: `quickstart-epoch (${c.name}${STEPS > 0 ? `, ${STEPS} steps` : ''})`,
      unit: 's/epoch',
      loom: s.epochSeconds,
      pytorch: torch ? torch.epochSeconds : null,
      lowerIsBetter: true,
      extra: { workers: c.workers, samplesPerSecond: runs.get(c.name).map((r) => r.samplesPerSecond), speedupVsOneProcess: single.epochSeconds / s.epochSeconds, pytorchDdpSecondsPerEpoch: ddp.get(c.workers)?.epochSeconds ?? null, load },
    });
  }
}

try {
  main();
} catch (e) {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
}
