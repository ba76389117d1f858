// Helpers shared by the benchmarks: running the PyTorch reference in the same
// invocation and printing Loom's figure next to it.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');

/** Debian's interpreter, the one that has python3-torch (a pyenv python3 does not). */
const PYTHON = '/usr/bin/python3';

/** Whether PyTorch can be run here. */
function hasTorch() {
  if (!fs.existsSync(PYTHON)) return false;
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/** Runs a Python script and returns its stdout, or null (with a note) when it fails. */
function runPython(args, options = {}) {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', ...options });
  if (r.status !== 0) {
    process.stderr.write(`bench: ${args.join(' ')} failed: ${r.stderr}\n`);
    return null;
  }
  return r.stdout;
}

/** Prints a result line: Loom's figure, PyTorch's and the ratio Loom/PyTorch. */
function report({ bench, unit, loom, pytorch, lowerIsBetter, extra = {} }) {
  const ratio = pytorch ? loom / pytorch : null;
  const verdict = ratio === null ? '' : lowerIsBetter ? `Loom takes ${ratio.toFixed(2)}x PyTorch's time` : `Loom achieves ${ratio.toFixed(2)}x PyTorch's rate`;
  const torchText = pytorch === null ? 'PyTorch: not available' : `PyTorch ${pytorch.toFixed(2)} ${unit}`;
  process.stdout.write(`${bench}: Loom ${loom.toFixed(2)} ${unit} | ${torchText}${verdict ? ` | ${verdict}` : ''}\n`);
  process.stdout.write(JSON.stringify({ bench, unit, loom, pytorch, ratio, lowerIsBetter, ...extra }) + '\n');
}

/** Where Debian's dataset-fashion-mnist puts the gzipped files. */
const FASHION_MNIST_SYSTEM_DIR = '/usr/share/datasets/fashion-mnist';
const FASHION_MNIST_FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

/**
 * Unpacks Fashion-MNIST into a temporary ROOT/FashionMNIST/raw/, the layout torchvision
 * reads (as /work/shared/reference/README.md does); returns ROOT, or null without the data.
 */
function unpackFashionMnist() {
  if (!FASHION_MNIST_FILES.every((f) => fs.existsSync(path.join(FASHION_MNIST_SYSTEM_DIR, `${f}.gz`)))) return null;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-bench-fmnist-'));
  const raw = path.join(root, 'FashionMNIST', 'raw');
  fs.mkdirSync(raw, { recursive: true });
  for (const f of FASHION_MNIST_FILES) fs.writeFileSync(path.join(raw, f), zlib.gunzipSync(fs.readFileSync(path.join(FASHION_MNIST_SYSTEM_DIR, `${f}.gz`))));
  return root;
}

/** The median of a non-empty list of numbers. */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

module.exports = { PYTHON, hasTorch, runPython, report, unpackFashionMnist, median };
