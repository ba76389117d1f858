#!/usr/bin/env node
/**
 * Regenerates the protobufjs descriptors compiled into the packages from the `.proto`
 * files in `proto/` (the single source of truth), so that neither the sources nor a
 * built `dist/` look for a .proto at run time.
 *
 *   node tools/proto/generate-descriptors.js          # rewrite the stale ones
 *   node tools/proto/generate-descriptors.js --check  # exit 1 if any is stale
 *
 * Specs in each package run the check, so a .proto edit without a regeneration fails
 * the tests. Plain JavaScript so that it runs with node alone.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const protobuf = require('protobufjs');

const REPO_ROOT = path.resolve(__dirname, '../..');

/** Every generated descriptor: the .proto, the module written, the constant it exports. */
const TARGETS = [
  { proto: 'loom/v1/checkpoint.proto', output: 'packages/nn/src/serialization/generated/checkpoint-descriptor.ts', name: 'CHECKPOINT_DESCRIPTOR', what: 'The checkpoint schema' },
  { proto: 'tensorboard/event.proto', output: 'apps/cli/src/output/generated/event-descriptor.ts', name: 'EVENT_DESCRIPTOR', what: "TensorBoard's event schema (scalar subset)" },
];

/** The text of one generated module. */
function render(target) {
  const root = protobuf.loadSync(path.join(REPO_ROOT, 'proto', target.proto));
  const json = JSON.stringify(root.toJSON(), null, 2);
  return [
    `// GENERATED from proto/${target.proto} by tools/proto/generate-descriptors.js.`,
    '// Do not edit: change the .proto and run `node tools/proto/generate-descriptors.js`.',
    '',
    `/** ${target.what} as a protobufjs descriptor (\`Root.fromJSON\`; field names in camelCase). */`,
    `export const ${target.name} = ${json};`,
    '',
  ].join('\n');
}

function main() {
  const check = process.argv.includes('--check');
  const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  let stale = 0;
  for (const target of TARGETS) {
    if (only.length > 0 && !only.some((o) => target.proto.includes(o))) continue;
    const output = path.join(REPO_ROOT, target.output);
    const text = render(target);
    const current = fs.existsSync(output) ? fs.readFileSync(output, 'utf8') : null;
    if (current === text) continue;
    if (check) {
      process.stderr.write(`${target.output} is stale: run node tools/proto/generate-descriptors.js\n`);
      stale++;
    } else {
      fs.mkdirSync(path.dirname(output), { recursive: true });
      fs.writeFileSync(output, text);
    }
  }
  process.exit(stale === 0 ? 0 : 1);
}

main();
