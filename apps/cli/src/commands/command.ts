/** The shape of a `loom` subcommand. */
import type { FlagSpec } from '../args/flags';

/** One subcommand: its flags, help text and action (resolving to an exit code). */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  flags: Record<string, FlagSpec>;
  run(argv: string[]): Promise<number>;
}
