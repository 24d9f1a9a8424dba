import type { Command } from 'commander';
import { registerAll } from './all.ts';
import { registerCancel } from './cancel.ts';
import { registerChaos } from './chaos.ts';
import { registerDashboard } from './dashboard.ts';
import { registerDemo } from './demo.ts';
import { registerDispatcher } from './dispatcher.ts';
import { registerPrune } from './prune.ts';
import { registerRender } from './render.ts';
import { registerRetry } from './retry.ts';
import { registerRun } from './run.ts';
import { registerScheduler } from './scheduler.ts';
import { registerSim } from './sim.ts';
import { registerStatus } from './status.ts';
import { registerTriggers } from './triggers.ts';
import { registerValidate } from './validate.ts';
import { registerWatcher } from './watcher.ts';

/**
 * Every subcommand registers itself on the root program; one module per command. Building the
 * program loads every command module, so they keep their top-level imports light and load the
 * rest (BullMQ, the Kubernetes client, the simulated cluster…) in their action: otherwise
 * `kubedispatch --help` would take seconds.
 */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  registerRender,
  registerValidate,
  registerDispatcher,
  registerWatcher,
  registerRun,
  registerStatus,
  registerTriggers,
  registerCancel,
  registerRetry,
  registerScheduler,
  registerDashboard,
  registerSim,
  registerChaos,
  registerAll,
  registerDemo,
  registerPrune,
];
