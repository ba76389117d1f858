// Benchmark: Loom's DataLoader over the real Fashion-MNIST training set (ToTensor,
// batch 64, shuffle) with numWorkers 0 and 2 (pinned), in samples/s, against PyTorch's
// DataLoader with the seed's settings (torchvision FashionMNIST, batch 64, shuffle,
// num_workers 0: tools/bench/data-loader.py) run in the same invocation; then the
// resident memory (RSS) with 0, 2 and 4 workers over a steady-state epoch, each run in a
// fresh process (see measureRss), for the pipeline (its workers follow a host
// plan) and for one whose workers run the dataset's code (see PIPELINES).
// Needs Debian's dataset-fashion-mnist and a build (`npm run bench -- data-loader`).
// Usage: node tools/bench/data-loader.js [measuredEpochs]
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { hasTorch, runPython, report } = require('./common');

/** Where Debian's dataset-fashion-mnist puts the files. */
const SYSTEM_DIR = '/usr/share/datasets/fashion-mnist';
const FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
/** The seed's loader settings. */
const BATCH = 64;
/** Epochs run before measuring, on both sides: JIT warm-up, worker start-up, the pinned ring's first batches, file caches. */
const WARMUP_EPOCHS = 1;
const MB = 1e6;
/** Batches between two RSS samples (an epoch has 938). */
const RSS_EVERY = 10;
/** Worker counts whose RSS is measured (the 0, 2 and 4). */
const RSS_WORKERS = [0, 2, 4];
/** Fresh processes per worker count: RSS of one run moves by up to 10 MB with the timing of collections (workers that run the dataset code). */
const RSS_REPEATS = 3;
/**
 * The pipelines whose RSS is measured: the (ToTensor, which the workers
 * compute from a host plan without loading @loom/tensor), and one with the same values
 * that only the dataset's code can run (its flip draws from the worker's generator),
 * for what a worker costs that loads @loom/data, @loom/tensor and tfjs-core.
 */
const PIPELINES = {
  plan: { label: 'ToTensor (host plan)', transform: (data) => new data.ToTensor() },
  dataset: {
    label: 'Compose([RandomHorizontalFlip(0), ToTensor()]) (dataset code in the workers)',
    transform: (data) => new data.Compose([new data.RandomHorizontalFlip(0), new data.ToTensor()]),
  },
};
/** Wait after the collection before sampling, in case V8 frees dead buffers' memory on a background thread (on this machine it was back at once). */
const GC_SETTLE_MS = 200;

/** Unpacks the .gz files into ROOT/FashionMNIST/raw/, the layout torchvision reads (as the reference README does). */
function unpackForTorchvision() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-bench-fmnist-'));
  const raw = path.join(root, 'FashionMNIST', 'raw');
  fs.mkdirSync(raw, { recursive: true });
  for (const f of FILES) fs.writeFileSync(path.join(raw, f), zlib.gunzipSync(fs.readFileSync(path.join(SYSTEM_DIR, `${f}.gz`))));
  return root;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function loaderOptions(numWorkers) {
  return numWorkers === 0 ? { batchSize: BATCH, shuffle: true } : { batchSize: BATCH, shuffle: true, numWorkers, pinMemory: true, persistentWorkers: true };
}

/** Samples/s of each measured epoch: the loop PyTorch's side runs, `for X, y in loader`. */
async function loomRates(data, dataset, numWorkers, epochs) {
  const loader = new data.DataLoader(dataset, loaderOptions(numWorkers));
  const rates = [];
  for (let e = 0; e < WARMUP_EPOCHS + epochs; e++) {
    const t0 = performance.now();
    let n = 0;
    for await (const [X] of loader) n += X.shape[0];
    if (e >= WARMUP_EPOCHS) rates.push(n / ((performance.now() - t0) / 1000));
  }
  await loader.close();
  return rates;
}

/**
 * Child process: the resident memory of one configuration in its steady state. The
 * first epoch starts everything a configuration holds for good (worker threads and the
 * modules they load, the pinned ring, JIT code); then the main thread's garbage of
 * start-up (the decoded files' buffers, which only a collection gives back, and which
 * a main thread that loads no batch itself would keep for a long time) is collected,
 * in every configuration alike, and RSS is sampled every RSS_EVERY batches over a
 * whole second epoch: its median is the figure, its peak is reported beside it.
 * Nothing is collected in the worker threads: their heaps count as they are.
 */
async function measureRss(root, numWorkers, pipeline) {
  const loom = require('@loom/tensor');
  const data = require('@loom/data');
  await loom.ready();
  const dataset = new data.FashionMNIST({ root, train: true, transform: PIPELINES[pipeline].transform(data) });
  const loader = new data.DataLoader(dataset, loaderOptions(numWorkers));
  for await (const batch of loader) void batch;
  global.gc();
  await new Promise((resolve) => setTimeout(resolve, GC_SETTLE_MS));
  const samples = [];
  let k = 0;
  for await (const batch of loader) {
    void batch;
    if (++k % RSS_EVERY === 0) samples.push(process.memoryUsage().rss);
  }
  const { hostPlanBatches } = loader.stats();
  await loader.close();
  const datasetBytes = dataset.data.byteLength + dataset.targets.byteLength;
  process.stdout.write(JSON.stringify({ numWorkers, median: median(samples), peak: Math.max(...samples), datasetBytes, hostPlanBatches }) + '\n');
}

function rssInChild(root, numWorkers, pipeline) {
  const args = ['--expose-gc', __filename, '--rss', root, String(numWorkers), pipeline];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, LOOM_LOG: 'silent' } });
  if (r.status !== 0) throw new Error(`RSS run with ${numWorkers} workers (${pipeline}) failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

/** RSS per worker count: RSS_REPEATS fresh processes each, interleaved (0, 2, 4, 0, 2, 4, ...) so that drift of a shared machine hits every count alike; medians of the runs. */
function rssByWorkers(root, pipeline) {
  const runs = Object.fromEntries(RSS_WORKERS.map((n) => [n, []]));
  for (let r = 0; r < RSS_REPEATS; r++) for (const n of RSS_WORKERS) runs[n].push(rssInChild(root, n, pipeline));
  return RSS_WORKERS.map((n) => ({
    numWorkers: n,
    median: median(runs[n].map((x) => x.median)),
    peak: median(runs[n].map((x) => x.peak)),
    medians: runs[n].map((x) => x.median),
    datasetBytes: runs[n][0].datasetBytes,
    hostPlanBatches: runs[n][0].hostPlanBatches,
  }));
}

/** Prints the RSS of one pipeline by worker count and its growth from 0 to 4 workers; returns the growth (MB). */
function reportRss(rss, pipeline) {
  const { label } = PIPELINES[pipeline];
  for (const r of rss) {
    const via = r.numWorkers === 0 ? '' : `; workers made ${r.hostPlanBatches} of its batches from the host plan`;
    process.stdout.write(
      `data-loader RSS, ${label}, numWorkers ${r.numWorkers}: over a steady-state epoch median ${(r.median / MB).toFixed(0)} MB, ` +
        `peak ${(r.peak / MB).toFixed(0)} MB (runs: ${r.medians.map((m) => (m / MB).toFixed(0)).join(', ')} MB${via})\n`,
    );
  }
  const growth = (key) => rss[rss.length - 1][key] - rss[0][key];
  process.stdout.write(
    `data-loader RSS growth 0 -> 4 workers, ${label}: median ${(growth('median') / MB).toFixed(0)} MB, peak ${(growth('peak') / MB).toFixed(0)} MB ` +
      `(one dataset copy: ${(rss[0].datasetBytes / MB).toFixed(0)} MB; target: less than one copy)\n`,
  );
  return { median: Math.round(growth('median') / MB), peak: Math.round(growth('peak') / MB) };
}

async function main() {
  if (process.argv[2] === '--rss') return measureRss(process.argv[3], Number(process.argv[4]), process.argv[5]);
  const epochs = Number(process.argv[2] ?? 3);
  if (!FILES.every((f) => fs.existsSync(path.join(SYSTEM_DIR, `${f}.gz`)))) {
    process.stdout.write(`data-loader: skipped, Fashion-MNIST is not in ${SYSTEM_DIR} (apt-get install dataset-fashion-mnist)\n`);
    return;
  }
  const root = unpackForTorchvision();
  try {
    const loom = require('@loom/tensor');
    const data = require('@loom/data');
    const info = await loom.ready();
    const dataset = new data.FashionMNIST({ root, train: true, transform: new data.ToTensor() });

    // PyTorch runs before and after Loom, and its median epoch is the reference: the
    // speed of a shared machine drifts within a run, and the ratio should not.
    const torchEpochs = [];
    const runTorch = () => {
      const out = hasTorch() ? runPython([path.join(__dirname, 'data-loader.py'), root, String(WARMUP_EPOCHS + epochs)]) : null;
      if (out) torchEpochs.push(...[...out.matchAll(/samples_per_s (\d+)/g)].map((m) => Number(m[1])).slice(WARMUP_EPOCHS));
    };
    runTorch();
    const loomEpochs = {};
    for (const numWorkers of [0, 2]) loomEpochs[numWorkers] = await loomRates(data, dataset, numWorkers, epochs);
    runTorch();
    const torchRate = torchEpochs.length > 0 ? median(torchEpochs) : null;
    for (const numWorkers of [0, 2]) {
      const rates = loomEpochs[numWorkers];
      report({
        bench: `data-loader (Fashion-MNIST train, ToTensor, batch ${BATCH}, shuffle, numWorkers ${numWorkers}${numWorkers ? ', pinMemory' : ''}; PyTorch num_workers 0; ${info.description}, ${os.availableParallelism()} cores)`,
        unit: 'samples/s',
        loom: median(rates),
        pytorch: torchRate,
        lowerIsBetter: false,
        extra: { loomEpochs: rates.map(Math.round), pytorchEpochs: torchEpochs, target: '>= 10x PyTorch' },
      });
    }

    process.stdout.write(
      `data-loader RSS method: a fresh process per run; one epoch to start everything, a collection of the main thread's start-up garbage, ` +
        `then RSS every ${RSS_EVERY} batches over a second epoch (median and peak); ${RSS_REPEATS} runs per worker count, interleaved, medians shown\n`,
    );
    const growth = {};
    const byWorkers = {};
    let datasetCopy = 0;
    for (const pipeline of Object.keys(PIPELINES)) {
      const rss = rssByWorkers(root, pipeline);
      growth[pipeline] = reportRss(rss, pipeline);
      byWorkers[pipeline] = Object.fromEntries(rss.map((r) => [r.numWorkers, { median: Math.round(r.median / MB), peak: Math.round(r.peak / MB) }]));
      datasetCopy = Math.round(rss[0].datasetBytes / MB);
    }
    process.stdout.write(JSON.stringify({ bench: 'data-loader-rss', unit: 'MB', byWorkers, growth0to4: growth, datasetCopy }) + '\n');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
