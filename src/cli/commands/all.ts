import type { Command } from 'commander';
import {
  optionalDashboardOptions,
  optionalDashboardOverrides,
  type OptionalDashboardFlags,
} from '../dashboard-options.ts';

/** `kubedispatch all`: scheduler, dispatcher and watcher in one process. */
export function registerAll(program: Command): void {
  const command = program
    .command('all')
    .description(
      'run scheduler, dispatcher and watcher in one process (optionally the HTTP API too); stops cleanly on SIGTERM/SIGINT',
    );
  optionalDashboardOptions(command).action(async (flags: OptionalDashboardFlags) => {
    const { runService } = await import('../../processes/run-service.ts');
    const { startAllInOne } = await import('../../processes/all-in-one.ts');
    await runService('kubedispatch', flags.config, (basics) =>
      startAllInOne({
        ...basics,
        projectDir: flags.project,
        kubeconfigPath: flags.kubeconfig,
        http: optionalDashboardOverrides(flags),
      }),
    );
  });
}
