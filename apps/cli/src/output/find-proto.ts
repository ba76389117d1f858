/**
 * Finds a `.proto` file of the repository's `proto/` folder: next to the built package
 * (`dist/proto/`, copied by the build) or, when running from sources, in the
 * repository root.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Returns the absolute path of `proto/<relative>`, searching upwards from this module. */
export function findProto(relative: string): string {
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'proto', relative);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`proto/${relative} not found above ${__dirname}: the package was built without its .proto files`);
    dir = parent;
  }
}
