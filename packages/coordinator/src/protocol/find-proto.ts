/**
 * Locates the repository's `proto/` folder. The `.proto` files are the single source
 * of truth and are read at run time, both from `src/` (jest) and from `dist/` (built),
 * by walking up from this module until `proto/loom/v1/coordinator.proto` is found. A
 * package published outside the monorepo must copy `proto/` next to `dist/` (the
 * search finds `<package>/proto` first).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The file every search looks for, relative to a `proto/` folder. */
export const COORDINATOR_PROTO = 'loom/v1/coordinator.proto';

/**
 * Returns the absolute path of the `proto/` folder that holds `coordinator.proto`.
 *
 * @example
 * ```ts
 * const root = findProtoRoot(); // '/work/main/proto'
 * ```
 */
export function findProtoRoot(start = __dirname): string {
  let dir = start;
  for (;;) {
    const candidate = path.join(dir, 'proto');
    if (fs.existsSync(path.join(candidate, COORDINATOR_PROTO))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`proto/${COORDINATOR_PROTO} not found above ${start}: copy the repository's proto/ folder next to the package's dist/`);
    }
    dir = parent;
  }
}
