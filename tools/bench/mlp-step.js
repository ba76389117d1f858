// Benchmark: the seed's MLP (784-512-512-10, batch 64) training step — forward,
// CrossEntropy loss, backward, SGD update — on tensors already in memory, in ms/step.
// The PyTorch side is ../shared/reference/torch_compute_only.py (or a copy in
// tools/bench/torch_compute_only.py), run by run.js in the same invocation.
'use strict';
const loom = require('@loom/tensor');

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
  // A pool of preloaded batches, as torch_compute_only.py slices preloaded tensors.
  const X = loom.rand([batch * 16, IN]).keep();
  const Y = loom.randint(0, OUT, [batch * 16, 1]).keep();

  function step(i) {
    const k = (i % 16) * batch;
    const x = X.narrow(0, k, batch);
    const y = Y.narrow(0, k, batch);
    const h1 = loom.linear(x, w1, b1).relu();
    const h2 = loom.linear(h1, w2, b2).relu();
    const logits = loom.linear(h2, w3, b3);
    const loss = logits.logSoftmax(1).gather(1, y).mean().neg();
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
  const result = { backend: info.description, batch, steps, msPerStep: ms, lastLoss: last, memory: loom.memoryStats() };
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
