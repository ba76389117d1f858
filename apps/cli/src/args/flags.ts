/**
 * Command-line flags: declared once with their type, range and help, parsed strictly.
 * A bad value is a usage error (exit code 2) whose message names the flag, the value
 * and what is accepted.
 */

/** Exit code of bad usage (as most Unix tools). */
export const EXIT_USAGE = 2;

/** A usage error: unknown flag, bad value, missing argument. */
export class UsageError extends Error {
  readonly code = 'LOOM_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** How one flag is parsed. */
export interface FlagSpec {
  type: 'int' | 'float' | 'string' | 'bool' | 'choice';
  help: string;
  /** For `int`/`float`: inclusive lower bound. */
  min?: number;
  /** For `int`/`float`: inclusive upper bound. */
  max?: number;
  /** For `choice`. */
  choices?: readonly string[];
  /** Shown in help; not applied by the parser (commands apply their defaults). */
  defaultText?: string;
  /** For `string`: the value may be omitted (`--resume` alone). */
  optionalValue?: boolean;
}

/** Parsed flags and positional arguments. */
export interface ParsedArgs {
  flags: Record<string, string | number | boolean>;
  positionals: string[];
}

function parseValue(name: string, spec: FlagSpec, raw: string): string | number | boolean {
  const accepted = (): string => {
    if (spec.type === 'choice') return `one of ${(spec.choices ?? []).join(', ')}`;
    const kind = spec.type === 'int' ? 'an integer' : 'a number';
    const lo = spec.min !== undefined ? ` >= ${spec.min}` : '';
    const hi = spec.max !== undefined ? `${lo ? ' and' : ''} <= ${spec.max}` : '';
    return `${kind}${lo}${hi}`;
  };
  if (spec.type === 'string') return raw;
  if (spec.type === 'choice') {
    if (!(spec.choices ?? []).includes(raw)) throw new UsageError(`--${name}: invalid value '${raw}': expected ${accepted()}`);
    return raw;
  }
  if (spec.type === 'bool') {
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw new UsageError(`--${name}: invalid value '${raw}': expected true or false`);
  }
  const value = Number(raw);
  const ok = raw.trim() !== '' && Number.isFinite(value) && (spec.type === 'float' || Number.isInteger(value));
  if (!ok || (spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) {
    throw new UsageError(`--${name}: invalid value '${raw}': expected ${accepted()}`);
  }
  return value;
}

/**
 * Parses `argv` against `specs`. Accepts `--flag value`, `--flag=value`, `--bool-flag`
 * and `--` (everything after is positional).
 */
export function parseArgs(argv: readonly string[], specs: Record<string, FlagSpec>): ParsedArgs {
  const flags: Record<string, string | number | boolean> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '--') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = specs[name];
    if (!spec) {
      const known = Object.keys(specs).map((k) => `--${k}`).join(', ');
      throw new UsageError(`unknown flag --${name}${known ? `: expected one of ${known}` : ''}`);
    }
    let raw: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (raw === undefined) {
      const next = argv[i + 1];
      if (spec.type === 'bool') {
        flags[name] = true;
        continue;
      }
      if (next === undefined || next.startsWith('--')) {
        if (spec.optionalValue) {
          flags[name] = '';
          continue;
        }
        throw new UsageError(`--${name}: missing value (${spec.help})`);
      }
      raw = next;
      i++;
    }
    flags[name] = parseValue(name, spec, raw);
  }
  return { flags, positionals };
}

/** Formats the flags section of a command's help. */
export function formatFlagHelp(specs: Record<string, FlagSpec>): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const value = spec.type === 'bool' ? '' : spec.type === 'choice' ? ` <${(spec.choices ?? []).join('|')}>` : spec.optionalValue ? ' [value]' : ` <${spec.type === 'string' ? 'value' : spec.type}>`;
    const def = spec.defaultText ? ` (default: ${spec.defaultText})` : '';
    return [`  --${name}${value}`, `${spec.help}${def}`] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => `${left.padEnd(width)}${right}`).join('\n');
}
