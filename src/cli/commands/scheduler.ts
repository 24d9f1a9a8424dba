import type { Command } from 'commander';
import { processEnv } from '../../config/env.ts';
import { loadSettings } from '../../config/settings.ts';
import { createLogger } from '../../observability/logger.ts';
import { runUntilSignal } from '../../process/run-until-signal.ts';
import { startSchedulerProcess } from '../../scheduler/scheduler-process.ts';
import { dashboardOptions, dashboardOverrides, type DashboardFlags } from './dashboard.ts';

interface SchedulerFlags extends DashboardFlags {
  http?: boolean;
}

/** `kubedispatch scheduler`: the same process as `workers/scheduler.ts`, with flags. */
export function registerScheduler(program: Command): void {
  const command = program
    .command('scheduler')
    .description("run the scheduler: keep BullMQ schedules in step with the pipelines' triggers.yaml, create runs from ticks, sweep active runs (stops cleanly on SIGTERM/SIGINT)")
    .option('--http', 'also serve the HTTP API, Bull Board and /metrics (see `kubedispatch dashboard`)');
  dashboardOptions(command).action(async (flags: SchedulerFlags) => {
    const env = processEnv();
    const settings = loadSettings(env, flags.config);
    const logger = createLogger(settings.log.level, 'scheduler');
    const http = flags.http ? dashboardOverrides(flags) : false;
    await runUntilSignal('scheduler', () => startSchedulerProcess({ settings, env, logger, projectDir: flags.project, kubeconfig: flags.kubeconfig, http }), logger);
  });
}
