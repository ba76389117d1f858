/** Every `loom` subcommand, in the order help lists them. */
import type { Command } from './command';
import { checkpointCommand } from './checkpoint';
import { coordinatorCommand } from './coordinator';
import { evalCommand } from './eval';
import { launchCommand } from './launch';
import { trainCommand } from './train';
import { workerCommand } from './worker';

export const COMMANDS: readonly Command[] = [launchCommand, trainCommand, coordinatorCommand, workerCommand, evalCommand, checkpointCommand];
