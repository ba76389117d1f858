/**
 * Loading a job module by path, in the Trainer's process and in every worker. Jobs may
 * be JavaScript or TypeScript; TypeScript is transpiled on the fly by @swc/core (types
 * are stripped, not checked: run `tsc` for that).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JobLoadError } from '../errors';
import { defineJob, isJobSpec } from './define-job';
import type { Job } from './job-spec';

/** File names tried, in order, when a job path is a folder. */
const JOB_ENTRY_NAMES = ['job.ts', 'job.js', 'index.ts', 'index.js'];

let tsHookInstalled = false;

/**
 * Lets `require` load `.ts` files by transpiling them with @swc/core (types stripped,
 * not checked). Called for TypeScript jobs; `examples/run.js` uses it too.
 *
 * @example
 * ```ts
 * installTypeScriptHook();
 * require('./examples/quickstart-loop.ts');
 * ```
 */
export function installTypeScriptHook(): void {
  if (tsHookInstalled) return;
  let swc: { transformSync(code: string, options: object): { code: string } };
  try {
    swc = require('@swc/core');
  } catch {
    throw new JobLoadError('loading a TypeScript job needs @swc/core, which is not installed', 'npm install @swc/core, or compile the job to JavaScript');
  }
  const Module = require('node:module') as { _extensions: Record<string, (m: { _compile(code: string, file: string): void }, file: string) => void> };
  Module._extensions['.ts'] = (m, file) => {
    const source = fs.readFileSync(file, 'utf8');
    const { code } = swc.transformSync(source, {
      filename: file,
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
      sourceMaps: 'inline',
    });
    m._compile(code, file);
  };
  tsHookInstalled = true;
}

/** Resolves a job path (a file, or a folder holding `job.ts`/`index.js`/...) to a file. */
export function resolveJobPath(jobPath: string): string {
  const absolute = path.resolve(jobPath);
  if (!fs.existsSync(absolute)) throw new JobLoadError(`job '${jobPath}' does not exist (looked at ${absolute})`);
  if (!fs.statSync(absolute).isDirectory()) return absolute;
  for (const name of JOB_ENTRY_NAMES) {
    const candidate = path.join(absolute, name);
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new JobLoadError(`job folder '${jobPath}' has none of ${JOB_ENTRY_NAMES.join(', ')}`);
}

/**
 * Loads and validates the job exported by a module (its default export, or an export
 * named `job`).
 *
 * @example
 * ```ts
 * const job = loadJob('examples/quickstart');
 * ```
 */
export function loadJob(jobPath: string): Job {
  const file = resolveJobPath(jobPath);
  if (file.endsWith('.ts')) installTypeScriptHook();
  let exported: Record<string, unknown>;
  try {
    exported = require(file);
  } catch (err) {
    const reason = err instanceof Error ? err.stack ?? err.message : String(err);
    throw new JobLoadError(`job '${jobPath}' failed to load: ${reason}`);
  }
  const candidate = exported['default'] ?? exported['job'] ?? exported;
  if (!isJobSpec(candidate)) {
    throw new JobLoadError(
      `job '${jobPath}' does not export a job: expected \`export default defineJob({...})\` with model, data, loss and optimizer factories`,
    );
  }
  return defineJob(candidate);
}
