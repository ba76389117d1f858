// Benchmark: checkpoint throughput, in MB/s of tensor data (1 MB = 1e6 bytes): @loom/nn's
// `save` and `load` of a 100 MB state dict (25 float32 tensors of 1M values), next to
// `torch.save`/`torch.load` of a dict of the same sizes (tools/bench/torch/checkpoint_io.py)
// run in the same invocation, both in the same temporary folder. Loom's `save` is
// atomic (temporary file, fsync, rename, fsync of the folder) and `load` checks a
// SHA-256; `torch.save` does neither, so PyTorch's save with an fsync is reported too.
// Usage: node tools/bench/checkpoint-io.js [rounds]
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const loom = require('@loom/tensor');
const nn = require('@loom/nn');
const { hasTorch, runPython, report } = require('./common');

/** 25 x 1M float32 values: a 100 MB state dict, the size of a mid-sized model. */
const COUNT = 25;
const NUMEL = 1_000_000;
const BYTES_PER_FLOAT32 = 4;
const MB = 1e6;
/** Rounds run before measuring (JIT, page cache, allocator). */
const WARMUP_ROUNDS = 1;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

async function main() {
  const rounds = Number(process.argv[2] ?? 5);
  const info = await loom.ready();
  loom.manualSeed(0);
  const stateDict = Object.fromEntries(Array.from({ length: COUNT }, (_, i) => [`layers.${i}.weight`, loom.rand([NUMEL]).keep()]));
  const mb = (COUNT * NUMEL * BYTES_PER_FLOAT32) / MB;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-bench-ckpt-'));
  const file = path.join(dir, 'loom.ckpt');
  try {
    const saves = [];
    const loads = [];
    for (let r = 0; r < WARMUP_ROUNDS + rounds; r++) {
      const saveS = await timed(() => nn.save(stateDict, file));
      let loaded = null;
      const loadS = await timed(async () => {
        loaded = await nn.load(file);
      });
      if (Object.keys(loaded).length !== COUNT) throw new Error(`checkpoint-io: load gave ${Object.keys(loaded).length} tensors, expected ${COUNT}`);
      for (const t of Object.values(loaded)) t.dispose();
      if (r >= WARMUP_ROUNDS) {
        saves.push(saveS);
        loads.push(loadS);
      }
    }

    let torch = null;
    if (hasTorch()) {
      const out = runPython([path.join(__dirname, 'torch/checkpoint_io.py'), String(COUNT), String(NUMEL), String(rounds), dir]);
      const m = out && /save_mb_s ([\d.]+) save_fsync_mb_s ([\d.]+) load_mb_s ([\d.]+)/.exec(out);
      torch = m ? { save: Number(m[1]), saveFsync: Number(m[2]), load: Number(m[3]) } : null;
    }
    const what = `${mb} MB, ${COUNT} x ${NUMEL} float32, median of ${rounds}, ${info.description}`;
    report({ bench: `checkpoint-io save (${what})`, unit: 'MB/s', loom: mb / median(saves), pytorch: torch && torch.save, lowerIsBetter: false, extra: { pytorchSaveWithFsync: torch && torch.saveFsync } });
    report({ bench: `checkpoint-io load (${what})`, unit: 'MB/s', loom: mb / median(loads), pytorch: torch && torch.load, lowerIsBetter: false });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
