import type { Command } from 'commander';
import {
  optionalDashboardOptions,
  optionalDashboardOverrides,
  type OptionalDashboardFlags,
} from '../dashboard-options.ts';

/** `kubedispatch scheduler`: the same process as `workers/scheduler.ts`, with flags. */
export function registerScheduler(program: Command): void {
  const command = program
    .command('scheduler')
    .description(
      "run the scheduler: keep BullMQ schedules in step with the pipelines' triggers.yaml, create runs from ticks, sweep active runs (stops cleanly on SIGTERM/SIGINT)",
    );
  optionalDashboardOptions(command).action(async (flags: OptionalDashboardFlags) => {
    const { runService } = await import('../../processes/run-service.ts');
    const { startSchedulerProcess } = await import('../../processes/scheduler-process.ts');
    await runService('scheduler', flags.config, (basics) =>
      startSchedulerProcess({
        ...basics,
        projectDir: flags.project,
        kubeconfig: flags.kubeconfig,
        http: optionalDashboardOverrides(flags),
      }),
    );
  });
}
