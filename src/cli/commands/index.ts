import type { Command } from 'commander';

/** Every subcommand registers itself on the root program; one module per command. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [];
