// Benchmark: the per-step cost of the finiteness check of gradients that the Trainer
// runs before every optimizer step (@loom/trainer gradientsFinite, NOTE [Non-finite
// steps]), on the seed's MLP (784-512-512-10, batch 64): ms for the check next to ms for
// the training step it guards (forward, loss, backward, SGD update), measured in the
// same loop so that both see the same machine load.
// Needs a build (`npm run bench -- finite-check`). Usage: node tools/bench/finite-check.js [steps]
'use strict';
const loom = require('@loom/tensor');
const { gradientsFinite } = require('@loom/trainer');
const { report } = require('./common');

const IN = 784;
const HIDDEN = 512;
const OUT = 10;
const BATCH = 64;
/** Steps before measuring: JIT and backend warm-up. */
const WARMUP = 20;

/** PyTorch's nn.Linear initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
function linearParams(fanIn, fanOut) {
  const bound = 1 / Math.sqrt(fanIn);
  return [loom.rand([fanOut, fanIn]).mul(2 * bound).sub(bound).keep().requiresGrad_(), loom.rand([fanOut]).mul(2 * bound).sub(bound).keep().requiresGrad_()];
}

async function main() {
  const steps = Number(process.argv[2] ?? 200);
  const info = await loom.ready();
  loom.manualSeed(0);
  const params = [...linearParams(IN, HIDDEN), ...linearParams(HIDDEN, HIDDEN), ...linearParams(HIDDEN, OUT)];
  const [w1, b1, w2, b2, w3, b3] = params;
  const x = loom.rand([BATCH, IN]).keep();
  const y = loom.randint(0, OUT, [BATCH]).keep();
  let stepMs = 0;
  let checkMs = 0;
  for (const i of loom.steps(Array.from({ length: WARMUP + steps }, (_, k) => k))) {
    const t0 = performance.now();
    const loss = loom.softmaxCrossEntropy(loom.linear(loom.linear(loom.linear(x, w1, b1).relu(), w2, b2).relu(), w3, b3), y);
    for (const p of params) {
      p.grad?.dispose();
      p.grad = null;
    }
    loss.backward();
    loss.item();
    const t1 = performance.now();
    if (!gradientsFinite(params)) throw new Error('finite-check: gradients of a healthy step reported non-finite');
    const t2 = performance.now();
    loom.noGrad(() => {
      for (const p of params) p.sub_(p.grad, { alpha: 1e-3 });
    });
    const t3 = performance.now();
    if (i >= WARMUP) {
      stepMs += t1 - t0 + (t3 - t2);
      checkMs += t2 - t1;
    }
  }
  report({
    bench: `finite-check (gradients of the 784-512-512-10 MLP, batch ${BATCH}, ${info.description})`,
    unit: 'ms/step',
    loom: checkMs / steps,
    pytorch: null,
    lowerIsBetter: true,
    extra: { trainingStepMs: stepMs / steps, overheadPercent: (100 * checkMs) / stepMs },
  });
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
