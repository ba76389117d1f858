#!/usr/bin/env node
// `npm run bench`: builds the workspace, then runs every benchmark in this folder, each
// printing Loom's figure next to PyTorch's measured in the same invocation.
// `npm run bench -- mlp-step` runs the benchmarks whose file name contains the word.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const filters = process.argv.slice(2);

const build = spawnSync(process.execPath, [require.resolve('nx/bin/nx.js'), 'run-many', '-t', 'build', '--output-style=static'], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (build.status !== 0) process.exit(build.status ?? 1);

const benches = fs
  .readdirSync(__dirname)
  .filter((f) => f.endsWith('.js') && !['run.js', 'common.js'].includes(f) && !f.includes('-worker'))
  .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
  .sort();

let failed = 0;
for (const file of benches) {
  process.stdout.write(`\n== ${file}\n`);
  const r = spawnSync(process.execPath, [path.join(__dirname, file)], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, LOOM_LOG: process.env.LOOM_LOG ?? 'silent' },
  });
  if (r.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
