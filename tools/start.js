#!/usr/bin/env node
// `npm start`: builds the workspace (cached by nx) and trains the seed's quickstart with
// `loom launch --nproc-per-node 2 examples/quickstart`. Arguments after `npm start --`
// go to `loom launch` (e.g. `npm start -- --epochs 1 --run-dir /tmp/run`).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const cli = path.join(root, 'apps/cli/bin/loom.js');

const build = spawnSync(process.execPath, [require.resolve('nx/bin/nx.js'), 'run-many', '-t', 'build', '--output-style=static'], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (build.status !== 0) {
  console.error('npm start: the build failed (run `npx nx run-many -t build` to see why)');
  process.exit(build.status ?? 1);
}
if (!fs.existsSync(cli)) {
  console.error('npm start: the loom CLI (apps/cli) is not built yet; nothing to launch');
  process.exit(1);
}
const args = ['launch', '--nproc-per-node', '2', path.join(root, 'examples/quickstart'), ...process.argv.slice(2)];
const run = spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);
