/**
 * `loom`: the command-line entry. Dispatches to a subcommand; every command has
 * `--help`. Exit codes: 0 success, 1 training failed, 2 bad usage.
 */
import { LoomError } from '@loom/tensor';
import { EXIT_USAGE, UsageError, formatFlagHelp } from './args/flags';
import type { Command } from './commands/command';
import { COMMANDS } from './commands/registry';

/** Exit code of a failed run. */
export const EXIT_FAILURE = 1;

function commandHelp(cmd: Command): string {
  return `${cmd.summary}\n\nUsage: ${cmd.usage}\n\nFlags:\n${formatFlagHelp(cmd.flags)}\n`;
}

/** The top-level help. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  const rows = COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join('\n');
  return `loom: the PyTorch training workflow in TypeScript, from one process to many workers\n\nUsage: loom <command> [flags]\n\nCommands:\n${rows}\n\nRun 'loom <command> --help' for a command's flags.\n`;
}

/** Runs `loom` with `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp());
    return name ? 0 : EXIT_USAGE;
  }
  if (name === '--version') {
    process.stdout.write(`${require('../package.json').version}\n`);
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    process.stderr.write(`loom: unknown command '${name}': expected one of ${COMMANDS.map((c) => c.name).join(', ')}\n`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(commandHelp(cmd));
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`loom ${cmd.name}: ${err.message}\nRun 'loom ${cmd.name} --help' for usage.\n`);
      return EXIT_USAGE;
    }
    const message = err instanceof LoomError ? err.message : err instanceof Error ? err.stack ?? err.message : String(err);
    process.stderr.write(`loom ${cmd.name}: ${message}\n`);
    return EXIT_FAILURE;
  }
}
