import type { Command } from 'commander';
import { startAllInOne } from '../../all-in-one/start-all.ts';
import { runService } from '../../process/run-service.ts';
import { optionalDashboardOptions, optionalDashboardOverrides, type OptionalDashboardFlags } from '../dashboard-options.ts';

/** `kubedispatch all`: scheduler, dispatcher and watcher in one process. */
export function registerAll(program: Command): void {
  const command = program
    .command('all')
    .description('run scheduler, dispatcher and watcher in one process (optionally the HTTP API too); stops cleanly on SIGTERM/SIGINT');
  optionalDashboardOptions(command).action((flags: OptionalDashboardFlags) =>
    runService('kubedispatch', flags.config, (basics) =>
      startAllInOne({ ...basics, projectDir: flags.project, kubeconfigPath: flags.kubeconfig, http: optionalDashboardOverrides(flags) }),
    ),
  );
}
