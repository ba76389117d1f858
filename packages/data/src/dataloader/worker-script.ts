/**
 * Where the worker threads' script is. Worker threads are plain Node: they load the
 * compiled `dist/dataloader/worker.js` whether the DataLoader itself runs from `dist`
 * (a program) or from `src` (jest, which maps `@loom/data` to the sources).
 *
 * @internal
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataLoaderStateError } from './dataloader-errors';

/** The package's source and build folders, relative to this file's folder. */
const PACKAGE_ROOT = resolve(__dirname, '..', '..');
const BUILD_HINT = 'build @loom/data: cd packages/data && npx tsc -p tsconfig.build.json (nx runs build before test)';

let staleChecked = false;

/** The newest modification time (ms) of the `.ts` files under a folder, specs excluded. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The absolute path of the worker script. Throws when it was not built; warns once when
 * running from sources that are newer than the build (the workers would run old code).
 */
export function workerScriptPath(): string {
  const fromSource = __filename.endsWith('.ts');
  const script = fromSource ? join(PACKAGE_ROOT, 'dist', 'dataloader', 'worker.js') : join(__dirname, 'worker.js');
  if (!existsSync(script)) {
    throw new DataLoaderStateError(`DataLoader: numWorkers > 0 needs the compiled worker script ${script}, which does not exist`, BUILD_HINT);
  }
  if (fromSource && !staleChecked) {
    staleChecked = true;
    if (newestSource(join(PACKAGE_ROOT, 'src')) > statSync(script).mtimeMs) {
      process.emitWarning(`DataLoader workers load ${script}, which is older than the sources of @loom/data; ${BUILD_HINT}`, {
        code: 'LOOM_DATALOADER_STALE_BUILD',
      });
    }
  }
  return script;
}
