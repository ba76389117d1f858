/**
 * Loom's one-line status messages (backend choice, fallbacks). They go to stderr so
 * they never mix with a program's output; `LOOM_LOG=silent` turns them off.
 */
const PREFIX = '[loom]';

/** Writes one status line to stderr unless `LOOM_LOG=silent`. */
export function log(message: string): void {
  if (process.env['LOOM_LOG'] === 'silent') return;
  process.stderr.write(`${PREFIX} ${message}\n`);
}
