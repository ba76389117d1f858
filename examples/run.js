#!/usr/bin/env node
// Runs a TypeScript example from the repository root, after the build:
//
//   node examples/run.js examples/quickstart-loop.ts --epochs 1
//
// The example and the .ts files it imports are transpiled on load by @swc/core, as
// @loom/trainer's `loadJob` does for jobs (types are stripped, not checked: run `tsc`
// for that); `@loom/*` imports load the built packages. The example sees its own
// arguments in `process.argv.slice(2)`, as if run as `node example.js ARGS`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const USAGE = 'usage: node examples/run.js FILE.ts [ARGS...]   (e.g. node examples/run.js examples/quickstart-loop.ts --epochs 1)';

const [file, ...args] = process.argv.slice(2);
if (file === undefined || file.startsWith('-')) {
  console.error(USAGE);
  process.exit(2);
}
const entry = path.resolve(file);
if (!fs.existsSync(entry)) {
  console.error(`examples/run.js: ${file} does not exist (looked at ${entry})\n${USAGE}`);
  process.exit(2);
}
try {
  require.resolve('@loom/nn');
} catch {
  console.error('examples/run.js: the Loom packages are not built: run `npx nx run-many -t build` (or `npm run build`) first');
  process.exit(2);
}

require('@loom/trainer').installTypeScriptHook();
// Source maps make stack traces point at the .ts lines.
process.setSourceMapsEnabled(true);

process.argv = [process.argv[0], entry, ...args];
require(entry);
