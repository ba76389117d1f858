// Benchmark: a small CNN's training step — forward, CrossEntropy loss, backward, SGD
// update — on batches of 1x28x28 already in memory, in ms/step, built from @loom/nn's
// modules (the built dist): Conv2d(1,32,3) ReLU MaxPool2d(2) Conv2d(32,64,3) ReLU
// MaxPool2d(2) Flatten Linear(1600,10). The same model and step in PyTorch with one
// thread (tools/bench/torch/conv_step.py) runs in the same invocation.
// Usage: node tools/bench/conv-step.js [batch] [steps]
// With LOOM_BENCH_PROFILE=1 it also prints every kernel of a step, in order, with its
// median CPU time over 10 steps (CPU time, so that other processes on a loaded machine
// distort it less than wall time).
'use strict';
const path = require('node:path');
const loom = require('@loom/tensor');
const nn = require('@loom/nn');
const tf = require('@tensorflow/tfjs-core');
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
/** Steps whose kernels are timed with LOOM_BENCH_PROFILE=1. */
const PROFILE_STEPS = 10;

/** Runs `step` PROFILE_STEPS times timing each top-level kernel; prints them in call order. */
function profileKernels(step) {
  const engine = tf.engine();
  const runKernel = engine.runKernel.bind(engine);
  const times = new Map();
  let depth = 0;
  let call = 0;
  engine.runKernel = (name, inputs, attrs) => {
    if (depth > 0) return runKernel(name, inputs, attrs);
    depth++;
    const start = process.cpuUsage();
    try {
      return runKernel(name, inputs, attrs);
    } finally {
      const used = process.cpuUsage(start);
      depth--;
      const shapes = Object.values(inputs).map((t) => `[${t.shape}]`).join(' ');
      const key = `${String(call++).padStart(3)} ${name} ${shapes}`;
      if (!times.has(key)) times.set(key, []);
      times.get(key).push((used.user + used.system) / 1000);
    }
  };
  for (const i of loom.steps(Array.from({ length: PROFILE_STEPS }, (_, k) => k))) {
    call = 0;
    step(i);
  }
  engine.runKernel = runKernel;
  let total = 0;
  for (const [key, list] of times) {
    const median = [...list].sort((a, b) => a - b)[list.length >> 1];
    total += median;
    process.stdout.write(`${median.toFixed(3).padStart(8)} ms ${key}\n`);
  }
  process.stdout.write(`${total.toFixed(2).padStart(8)} ms in kernels per step (medians)\n`);
}

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
  if (process.env.LOOM_BENCH_PROFILE === '1') profileKernels(step);

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
