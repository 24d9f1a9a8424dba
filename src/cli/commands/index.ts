import type { Command } from 'commander';
import { registerDispatcher } from './dispatcher.ts';
import { registerRender } from './render.ts';
import { registerValidate } from './validate.ts';

/** Every subcommand registers itself on the root program; one module per command. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [registerRender, registerValidate, registerDispatcher];
