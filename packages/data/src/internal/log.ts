/**
 * `@loom/data`'s status lines (downloads, empty splits). They go to stderr so they
 * never mix with a program's output; `LOOM_LOG=silent` turns them off, as in
 * `@loom/tensor`.
 */
const PREFIX = '[loom:data]';

/** Writes one status line to stderr unless `LOOM_LOG=silent`. @internal */
export function log(message: string): void {
  if (process.env['LOOM_LOG'] === 'silent') return;
  process.stderr.write(`${PREFIX} ${message}\n`);
}
