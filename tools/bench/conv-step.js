// Benchmark: a small CNN's training step — forward, CrossEntropy loss, backward, SGD
// update — on batches of 1x28x28 already in memory, in ms/step, built from @loom/nn's
// modules (the built dist): Conv2d(1,32,3) ReLU MaxPool2d(2) Conv2d(32,64,3) ReLU
// MaxPool2d(2) Flatten Linear(1600,10). The same model and step in PyTorch with one
// thread (tools/bench/torch/conv_step.py) runs in the same invocation.
// Usage: node tools/bench/conv-step.js [batch] [steps]
'use strict';
const path = require('node:path');
const loom = require('@loom/tensor');
const nn = require('@loom/nn');
const { hasTorch, runPython, report } = require('./common');

/** Fashion-MNIST's image shape, [C, H, W]. */
const IMAGE = [1, 28, 28];
const CLASSES = 10;
/** The quickstart's learning rate. */
const LR = 1e-3;
/** Steps run before timing, on both sides (JIT, kernel set-up, allocator warm-up). */
const WARMUP = 10;
/** Distinct preloaded batches stepped through, on both sides. */
const POOL = 16;

function convNet() {
  return new nn.Sequential(
    new nn.Conv2d(1, 32, 3), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 3), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(1600, CLASSES),
  );
}

async function main() {
  const batch = Number(process.argv[2] ?? 64);
  const steps = Number(process.argv[3] ?? 50);
  if (typeof loom.conv2d !== 'function' || typeof loom.maxPool2d !== 'function') {
    throw new Error('conv-step: the built @loom/tensor exports no conv2d/maxPool2d yet; build packages/tensor once the conv and pool ops land');
  }
  const info = await loom.ready();
  loom.manualSeed(0);
  const model = convNet();
  const lossFn = new nn.CrossEntropyLoss();
  const optimizer = new nn.optim.SGD(model.parameters(), { lr: LR });
  const xs = Array.from({ length: POOL }, () => loom.rand([batch, ...IMAGE]).keep());
  const ys = Array.from({ length: POOL }, () => loom.randint(0, CLASSES, [batch]).keep());

  function step(i) {
    const loss = lossFn(model(xs[i % POOL]), ys[i % POOL]);
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    return loss;
  }

  // Each iteration of `steps` is a step scope: its temporaries are released at the next.
  const indices = Array.from({ length: WARMUP + steps }, (_, i) => i);
  let t0 = 0;
  let last = 0;
  for (const i of loom.steps(indices)) {
    if (i === WARMUP) t0 = performance.now();
    const loss = step(i);
    // Reading the last loss waits for the kernels of every step.
    if (i === WARMUP + steps - 1) last = loss.item();
  }
  const ms = (performance.now() - t0) / steps;

  let torchMs = null;
  if (hasTorch()) {
    const out = runPython([path.join(__dirname, 'torch/conv_step.py'), String(batch), String(steps), String(WARMUP)]);
    const m = out && /ms_per_step ([\d.]+)/.exec(out);
    torchMs = m ? Number(m[1]) : null;
  }
  report({
    bench: `conv-step (2 conv + 2 maxpool + linear, batch ${batch}x1x28x28, ${info.description})`,
    unit: 'ms/step',
    loom: ms,
    pytorch: torchMs,
    lowerIsBetter: true,
    extra: { lastLoss: last, liveTfjsTensors: loom.memoryStats().tfjsTensors },
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
