/**
 * Tracing, as grpc-js does it: one tracer per module, off by default, switched on by
 * name with `LOOM_TRACE=ring,rendezvous` (or `LOOM_TRACE=all`). Lines go to stderr so
 * they never mix with a program's output. Notable events (a worker marked dead, a
 * rendezvous timeout) are logged at `info` even without `LOOM_TRACE`, unless
 * `LOOM_LOG=silent`.
 */

/** Severity of a trace line: `debug` needs the tracer enabled, `info` prints unless silenced. */
export type TraceSeverity = 'debug' | 'info';

/** A module's tracer. Pass a function to avoid building the text when tracing is off. */
export type Tracer = (text: string | (() => string), severity?: TraceSeverity) => void;

function enabledTracers(): Set<string> {
  return new Set(
    (process.env['LOOM_TRACE'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  );
}

/**
 * Returns the tracer of module `name`.
 *
 * @example
 * ```ts
 * const trace = createTracer('ring');
 * trace(() => `bucket ${id} done`);          // only with LOOM_TRACE=ring
 * trace('worker w-1 marked dead', 'info');    // unless LOOM_LOG=silent
 * ```
 */
export function createTracer(name: string): Tracer {
  return (text, severity = 'debug') => {
    // Read the environment on every call so that tests (and long-lived servers) can
    // switch tracing on without restarting.
    const on = severity === 'info' ? process.env['LOOM_LOG'] !== 'silent' : isTracing(name);
    if (!on) return;
    const line = typeof text === 'function' ? text() : text;
    process.stderr.write(`[loom:coordinator:${name}] ${line}\n`);
  };
}

/** Whether `LOOM_TRACE` enables tracer `name`. */
export function isTracing(name: string): boolean {
  const enabled = enabledTracers();
  return enabled.has('all') || enabled.has(name);
}
