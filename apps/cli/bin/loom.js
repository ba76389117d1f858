#!/usr/bin/env node
'use strict';
// The `loom` binary: runs the built CLI (apps/cli/dist).

// An exception or promise rejection that nothing handles is a bug (in Loom or in the
// job's code): say so and exit 1. Registered before anything loads: the wasm backend
// installs handlers of its own that rethrow, which Node reports with exit code 7.
function internalError(what) {
  return (reason) => {
    const text = reason && reason.stack ? reason.stack : String(reason);
    process.stderr.write(`loom: internal error: ${what}: ${text}\nhelp: this is a bug in Loom or in the job's code; the run stopped here: resume it from its last checkpoint with --resume, and please report this output\n`);
    process.exit(1);
  };
}
process.on('unhandledRejection', internalError('a promise rejection was not handled'));
const uncaught = internalError('an exception was not caught');
process.on('uncaughtException', (error) => {
  // The wasm runtime's exit() travels as an ExitStatus it throws on purpose, with
  // process.exitCode already set: let it end the process as that runtime would.
  if (error && error.name === 'ExitStatus') return;
  uncaught(error);
});

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
