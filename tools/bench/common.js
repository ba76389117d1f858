// Helpers shared by the benchmarks: running the PyTorch reference in the same
// invocation and printing Loom's figure next to it.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');

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

module.exports = { PYTHON, hasTorch, runPython, report };
