import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALLOWED_IMPORTS, PACKAGE_DIRS } from './layers';

const ROOT = path.resolve(__dirname, '..', '..');
const IMPORT_RE = /(?:from\s+|require\(\s*|import\(\s*)['"](@loom\/[a-z-]+|\.\.?\/[^'"]*)['"]/g;

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : sourceFiles(p);
    return /\.(ts|js)$/.test(e.name) ? [p] : [];
  });
}

describe('package layering', () => {
  for (const [pkg, dir] of Object.entries(PACKAGE_DIRS)) {
    const allowed = new Set([pkg, ...(ALLOWED_IMPORTS[pkg] ?? [])]);
    const pkgRoot = path.join(ROOT, dir);

    test(`${pkg} imports only ${[...allowed].join(', ')}`, () => {
      const violations: string[] = [];
      for (const file of [...sourceFiles(path.join(pkgRoot, 'src')), ...sourceFiles(path.join(pkgRoot, 'test'))]) {
        const text = fs.readFileSync(file, 'utf8');
        for (const m of text.matchAll(IMPORT_RE)) {
          const spec = m[1] as string;
          const rel = path.relative(ROOT, file);
          if (spec.startsWith('@loom/')) {
            if (!allowed.has(spec)) violations.push(`${rel} imports ${spec}`);
          } else {
            // A relative import must stay inside its own package.
            const target = path.resolve(path.dirname(file), spec);
            if (!target.startsWith(pkgRoot + path.sep)) violations.push(`${rel} reaches outside its package with '${spec}'`);
          }
        }
      }
      expect(violations).toEqual([]);
    });

    test(`${pkg} declares exactly the Loom packages it may use`, () => {
      const manifest = JSON.parse(fs.readFileSync(path.join(pkgRoot, 'package.json'), 'utf8')) as {
        name: string;
        dependencies?: Record<string, string>;
        exports?: Record<string, unknown>;
      };
      expect(manifest.name).toBe(pkg);
      const loomDeps = Object.keys(manifest.dependencies ?? {}).filter((d) => d.startsWith('@loom/'));
      for (const dep of loomDeps) expect(ALLOWED_IMPORTS[pkg]).toContain(dep);
      expect(manifest.exports?.['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    });
  }
});
