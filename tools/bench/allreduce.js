#!/usr/bin/env node
// All-reduce bus bandwidth of @loom/coordinator's ring, next to the raw bandwidth of
// one grpc-js stream measured in the same run, between processes on loopback.
//
//   bus bandwidth = bytes * 2(N-1)/N / time   (what each ring link carries per second)
//
// Each world size runs twice: as a job on one host runs (neighbours pass payloads through
// /dev/shm, NOTE [Shared-memory payloads] in @loom/coordinator) and with every payload
// in the gRPC stream (LOOM_RING_SHARED_MEMORY=0), as between hosts.
//
// Target (issue 5): at least 80% of the raw stream. Run after a build
// (`npm run bench -- allreduce`, or `node tools/bench/allreduce.js --mb 100 --workers 2,3`).
'use strict';
process.env.LOOM_LOG ??= 'silent';
const { fork } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');
const { CoordinatorServer } = require('@loom/coordinator');

const WORKER = path.join(__dirname, 'allreduce-worker.js');
/** Target ratio of the issue: all-reduce bus bandwidth >= 80% of one raw stream. */
const TARGET_RATIO = 0.8;

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const MB = Number(option('mb', '100'));
const REPS = Number(option('reps', '5'));
const WARMUP = Number(option('warmup', '2'));
const WORLD_SIZES = option('workers', '2,3').split(',').map(Number);

function child(args, env = {}) {
  const proc = fork(WORKER, args.map(String), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, LOOM_LOG: 'silent', ...env } });
  const messages = [];
  const waiters = [];
  proc.on('message', (m) => (waiters.length ? waiters.shift()(m) : messages.push(m)));
  const exited = new Promise((resolve, reject) => proc.on('exit', (code) => (code === 0 || proc.killed ? resolve() : reject(new Error(`${args[0]} exited with ${code}`)))));
  return { proc, exited, next: () => (messages.length ? Promise.resolve(messages.shift()) : new Promise((r) => waiters.push(r))) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function rawBandwidth(mode) {
  const server = child(['raw-server']);
  const { port } = await server.next();
  const client = child(['raw-client', port, MB, WARMUP + REPS, mode]);
  const { seconds, cpuSeconds } = await client.next();
  await client.exited;
  server.proc.kill();
  return { rates: seconds.slice(WARMUP).map((s) => MB / s), cpu: median(cpuSeconds.slice(WARMUP)) };
}

async function ringBandwidth(worldSize, sharedMemory) {
  const coordinator = new CoordinatorServer({ minWorkers: worldSize, rendezvousTimeoutMs: 60_000 });
  const address = await coordinator.start();
  const workers = Array.from({ length: worldSize }, () => child(['ring', address, MB, REPS, WARMUP], { LOOM_RING_SHARED_MEMORY: sharedMemory ? '1' : '0' }));
  const results = await Promise.all(workers.map((w) => w.next()));
  await Promise.all(workers.map((w) => w.exited));
  await coordinator.close();
  // A round ends when its slowest rank is done.
  const seconds = results[0].seconds.map((_, rep) => Math.max(...results.map((r) => r.seconds[rep])));
  const factor = (2 * (worldSize - 1)) / worldSize;
  // Every round is one all-reduce plus one barrier (a one-element all-reduce: ~100 bytes).
  const sentPerRound = Math.max(...results.map((r) => r.bytesSent)) / (REPS + WARMUP);
  const cpuPerRound = median(results.map((r) => median(r.cpuSeconds)));
  const sharedMiB = Math.max(...results.map((r) => r.bytesSentSharedMemory ?? 0)) / (REPS + WARMUP) / (1024 * 1024);
  return {
    sharedMiB, busbw: seconds.map((s) => (MB * factor) / s), seconds, cpuPerRound, sentPerRoundMiB: sentPerRound / (1024 * 1024), idealMiB: MB * factor };
}

async function main() {
  process.stdout.write(`allreduce: ${MB} MiB of float32, ${REPS} timed rounds after ${WARMUP} warm-up, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)}, node ${process.version}\n`);
  for (const worldSize of WORLD_SIZES) {
    // Raw streams before and after, so a drift of the machine shows up.
    const pushBefore = await rawBandwidth('push');
    const pullBefore = await rawBandwidth('pull');
    const rings = { 'shared memory': await ringBandwidth(worldSize, true), 'gRPC stream only': await ringBandwidth(worldSize, false) };
    const pushAfter = await rawBandwidth('push');
    const pullAfter = await rawBandwidth('pull');
    const rawDefault = median([...pushBefore.rates, ...pushAfter.rates]);
    const rawTuned = median([...pullBefore.rates, ...pullAfter.rates]);
    process.stdout.write(
      `allreduce N=${worldSize}: raw grpc-js stream, defaults (client->server) ${rawDefault.toFixed(0)} MiB/s, sender CPU ${median([pushBefore.cpu, pushAfter.cpu]).toFixed(3)} s per ${MB} MiB; ` +
        `with the ring's settings (server->client, 16 MiB window) ${rawTuned.toFixed(0)} MiB/s, receiver CPU ${median([pullBefore.cpu, pullAfter.cpu]).toFixed(3)} s per ${MB} MiB\n`,
    );
    for (const [path, ring] of Object.entries(rings)) {
      const bus = median(ring.busbw);
      process.stdout.write(
        `  ring, payloads through ${path.padEnd(16)}: bus bandwidth ${bus.toFixed(0).padStart(5)} MiB/s (median of ${REPS}; best ${Math.max(...ring.busbw).toFixed(0)}; round ${median(ring.seconds).toFixed(3)} s wall, ${ring.cpuPerRound.toFixed(3)} s CPU per rank) ` +
          `= ${((100 * bus) / rawDefault).toFixed(0)}% of the default stream (target ${100 * TARGET_RATIO}%), ${((100 * bus) / rawTuned).toFixed(0)}% of the tuned one; ` +
          `sent per rank per round ${ring.sentPerRoundMiB.toFixed(2)} MiB (2(N-1)/N: ${ring.idealMiB.toFixed(2)}; through shared memory ${ring.sharedMiB.toFixed(2)})\n`,
      );
      process.stdout.write(JSON.stringify({ bench: 'allreduce', worldSize, payloads: path, mb: MB, busbwMiBs: ring.busbw, rawDefaultMiBs: [...pushBefore.rates, ...pushAfter.rates], rawTunedMiBs: [...pullBefore.rates, ...pullAfter.rates], cpuPerRound: ring.cpuPerRound }) + '\n');
    }
  }
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
