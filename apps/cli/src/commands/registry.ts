/** Every `loom` subcommand, in the order help lists them. */
import type { Command } from './command';
import { evalCommand } from './eval';
import { trainCommand } from './train';

export const COMMANDS: readonly Command[] = [trainCommand, evalCommand];
