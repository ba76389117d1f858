// Benchmark: Loom's DataLoader over the real Fashion-MNIST training set (ToTensor,
// batch 64, shuffle) with numWorkers 0 and 2 (pinned), in samples/s, against PyTorch's
// DataLoader with the seed's settings (torchvision FashionMNIST, batch 64, shuffle,
// num_workers 0: tools/bench/data-loader.py) run in the same invocation; then the
// resident memory (RSS) with 0, 2 and 4 workers, each in a fresh process.
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

/** Child process: RSS after loading, then its median and peak over a steady-state epoch (the second). */
async function measureRss(root, numWorkers) {
  const loom = require('@loom/tensor');
  const data = require('@loom/data');
  await loom.ready();
  const dataset = new data.FashionMNIST({ root, train: true, transform: new data.ToTensor() });
  const loader = new data.DataLoader(dataset, loaderOptions(numWorkers));
  global.gc();
  const loaded = process.memoryUsage().rss;
  const samples = [];
  for (let e = 0; e < 2; e++) {
    let k = 0;
    for await (const batch of loader) {
      void batch;
      if (e === 1 && ++k % RSS_EVERY === 0) samples.push(process.memoryUsage().rss);
    }
  }
  await loader.close();
  const datasetBytes = dataset.data.byteLength + dataset.targets.byteLength;
  process.stdout.write(JSON.stringify({ numWorkers, loaded, median: median(samples), peak: Math.max(...samples), datasetBytes }) + '\n');
}

function rssInChild(root, numWorkers) {
  const r = spawnSync(process.execPath, ['--expose-gc', __filename, '--rss', root, String(numWorkers)], { encoding: 'utf8', env: { ...process.env, LOOM_LOG: 'silent' } });
  if (r.status !== 0) throw new Error(`RSS run with ${numWorkers} workers failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

async function main() {
  if (process.argv[2] === '--rss') return measureRss(process.argv[3], Number(process.argv[4]));
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

    const rss = [0, 2, 4].map((n) => rssInChild(root, n));
    for (const r of rss) {
      process.stdout.write(
        `data-loader RSS, numWorkers ${r.numWorkers}: ${(r.loaded / MB).toFixed(0)} MB after loading; over a steady-state epoch ` +
          `median ${(r.median / MB).toFixed(0)} MB, peak ${(r.peak / MB).toFixed(0)} MB\n`,
      );
    }
    const copy = rss[0].datasetBytes;
    const growth = (key) => rss[2][key] - rss[0][key];
    process.stdout.write(
      `data-loader RSS growth 0 -> 4 workers: median ${(growth('median') / MB).toFixed(0)} MB, peak ${(growth('peak') / MB).toFixed(0)} MB ` +
        `(one dataset copy: ${(copy / MB).toFixed(0)} MB; target: less than one copy)\n`,
    );
    process.stdout.write(
      JSON.stringify({
        bench: 'data-loader-rss',
        unit: 'MB',
        medianByWorkers: Object.fromEntries(rss.map((r) => [r.numWorkers, Math.round(r.median / MB)])),
        peakByWorkers: Object.fromEntries(rss.map((r) => [r.numWorkers, Math.round(r.peak / MB)])),
        growth0to4: { median: Math.round(growth('median') / MB), peak: Math.round(growth('peak') / MB) },
        datasetCopy: Math.round(copy / MB),
      }) + '\n',
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
