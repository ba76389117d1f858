// Child process of storage.spec.ts, run with --expose-gc: drops a tensor whose values
// moved to the backend outside every scope, collects garbage until its backend value is
// released (or ~3 s pass), and prints what happened as JSON. A process of its own, so
// that nothing else (other test files, the test runner) holds or delays anything.
// Loom's TypeScript sources are transpiled on load (testing/swc-register.js), as jest does.
'use strict';
const path = require('node:path');

require('./swc-register');

const loom = require(path.join(__dirname, '../index.ts'));

const nextJob = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  await loom.ready();
  const before = loom.memoryStats().tfjsTensors;
  let backing = null;
  let dropped = null;
  (() => {
    const t = loom.tensor([1, 2, 3]); // outside every scope: only the collector can release it
    t.add(1).dispose(); // its values move to the backend: it registers then
    backing = t.value('collection-child');
    dropped = new WeakRef(t);
  })();
  const registered = loom.memoryStats().tfjsTensors - before;
  // Finalizers run when V8 gets to them, after a collection, in a later task.
  let rounds = 0;
  for (; rounds < 200 && !backing.isDisposed; rounds++) {
    await nextJob();
    global.gc();
    await nextJob();
    await sleep(10);
  }
  const result = { registered, collected: dropped.deref() === undefined, released: backing.isDisposed, leftOver: loom.memoryStats().tfjsTensors - before, rounds };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exitCode = 1;
});
