/**
 * `@loom/cli`: the `loom` command. Programs can run it in-process with `main(argv)`.
 *
 * @example
 * ```ts
 * import { main } from '@loom/cli';
 * process.exitCode = await main(['train', 'examples/quickstart', '--epochs', '1']);
 * ```
 */
export { main, mainHelp, EXIT_FAILURE } from './main';
export { EXIT_USAGE, UsageError, parseArgs } from './args/flags';
export type { FlagSpec, ParsedArgs } from './args/flags';
export type { Command } from './commands/command';
export { COMMANDS } from './commands/registry';
export { TensorBoardWriter, frameRecord } from './output/tensorboard-writer';
export { MetricsWriter } from './output/metrics-writer';
export { crc32c, maskedCrc32c } from './output/crc32c';
