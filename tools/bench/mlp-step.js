// Benchmark: the seed's MLP (784-512-512-10, batch 64) training step — forward,
// CrossEntropy loss, backward, SGD update — on tensors already in memory, in ms/step.
// The PyTorch side is the reference's torch_compute_only.py (copied verbatim into
// tools/bench/torch/), run in the same invocation with one thread.
'use strict';
const path = require('node:path');
const loom = require('@loom/tensor');
const { hasTorch, runPython, report } = require('./common');

const IN = 784;
const HIDDEN = 512;
const OUT = 10;

/** PyTorch's nn.Linear initialisation: kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
function linearParams(fanIn, fanOut) {
  const bound = 1 / Math.sqrt(fanIn);
  const w = loom.rand([fanOut, fanIn]).mul(2 * bound).sub(bound).keep();
  const b = loom.rand([fanOut]).mul(2 * bound).sub(bound).keep();
  return [w.requiresGrad_(), b.requiresGrad_()];
}

async function main() {
  const batch = Number(process.argv[2] ?? 64);
  const steps = Number(process.argv[3] ?? 200);
  const info = await loom.ready();
  loom.manualSeed(0);
  const params = [...linearParams(IN, HIDDEN), ...linearParams(HIDDEN, HIDDEN), ...linearParams(HIDDEN, OUT)];
  const [w1, b1, w2, b2, w3, b3] = params;
  const lr = 1e-3;
  // A pool of preloaded batches, as torch_compute_only.py steps through preloaded
  // tensors (its slices are free views; here each batch is its own tensor).
  const POOL = 16;
  const xs = Array.from({ length: POOL }, () => loom.rand([batch, IN]).keep());
  const ys = Array.from({ length: POOL }, () => loom.randint(0, OUT, [batch]).keep());

  function step(i) {
    const x = xs[i % POOL];
    const y = ys[i % POOL];
    const h1 = loom.linear(x, w1, b1).relu();
    const h2 = loom.linear(h1, w2, b2).relu();
    const logits = loom.linear(h2, w3, b3);
    // nn.CrossEntropyLoss()(logits, y): what Loom's CrossEntropyLoss runs for class indices.
    const loss = loom.softmaxCrossEntropy(logits, y);
    for (const p of params) {
      p.grad?.dispose();
      p.grad = null;
    }
    loss.backward();
    loom.noGrad(() => {
      for (const p of params) p.sub_(p.grad, { alpha: lr });
    });
    return loss;
  }

  const warmup = 20;
  let last = 0;
  const indices = Array.from({ length: warmup + steps }, (_, i) => i);
  let t0 = 0;
  for (const i of loom.steps(indices)) {
    if (i === warmup) t0 = performance.now();
    const loss = step(i);
    if (i === warmup + steps - 1) last = loss.item();
  }
  const ms = (performance.now() - t0) / steps;

  let torchMs = null;
  if (hasTorch()) {
    const out = runPython([path.join(__dirname, 'torch/torch_compute_only.py'), '1', String(batch)]);
    const m = out && /ms_per_step ([\d.]+)/.exec(out);
    torchMs = m ? Number(m[1]) : null;
  }
  report({
    bench: `mlp-step (784-512-512-10, batch ${batch}, ${info.description})`,
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
