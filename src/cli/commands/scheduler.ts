import type { Command } from 'commander';
import { runService } from '../../process/run-service.ts';
import { startSchedulerProcess } from '../../scheduler/scheduler-process.ts';
import { optionalDashboardOptions, optionalDashboardOverrides, type OptionalDashboardFlags } from '../dashboard-options.ts';

/** `kubedispatch scheduler`: the same process as `workers/scheduler.ts`, with flags. */
export function registerScheduler(program: Command): void {
  const command = program
    .command('scheduler')
    .description("run the scheduler: keep BullMQ schedules in step with the pipelines' triggers.yaml, create runs from ticks, sweep active runs (stops cleanly on SIGTERM/SIGINT)");
  optionalDashboardOptions(command).action((flags: OptionalDashboardFlags) =>
    runService('scheduler', flags.config, (basics) =>
      startSchedulerProcess({ ...basics, projectDir: flags.project, kubeconfig: flags.kubeconfig, http: optionalDashboardOverrides(flags) }),
    ),
  );
}
