// Child process of wasm-threads.spec.ts: starts Loom's wasm backend with the parent's
// LOOM_WASM_THREADS, runs the kernels XNNPACK spreads over threads (matmul, conv2d) and
// a reduction, prints the results as JSON and returns without closing anything: the
// process has to exit by itself. Loom's TypeScript sources are transpiled on load
// (testing/swc-register.js), as the jest preset does.
'use strict';
const path = require('node:path');

require('../../testing/swc-register');

const loom = require(path.join(__dirname, '../../index.ts'));

/** float32 values as base64, so that the parent compares exactly what was computed. */
function encode(t) {
  const data = t.data();
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

async function main() {
  const info = await loom.ready();
  loom.manualSeed(0);
  // The seed MLP's first linear layer, as its backward runs it ([512,784]@[784,64]).
  const a = loom.randn([512, 784]);
  const b = loom.randn([784, 64]);
  const x = loom.randn([4, 16, 28, 28]);
  const w = loom.randn([32, 16, 3, 3]);
  const results = {
    matmul: encode(loom.matmul(a, b)),
    conv2d: encode(loom.conv2d(x, w, null, { padding: 1 })),
    sum: encode(loom.sum(a, 1)),
  };
  process.stdout.write(JSON.stringify({ description: info.description, results }));
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
