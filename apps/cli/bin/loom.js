#!/usr/bin/env node
'use strict';
// The `loom` binary: runs the built CLI (apps/cli/dist).
const { main } = require('../dist/main.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`loom: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
