import type { Command } from 'commander';
import { startAllInOne } from '../../all-in-one/start-all.ts';
import { processEnv } from '../../config/env.ts';
import { loadSettings } from '../../config/settings.ts';
import { createLogger } from '../../observability/logger.ts';
import { runUntilSignal } from '../../process/run-until-signal.ts';
import { dashboardOptions, dashboardOverrides, type DashboardFlags } from './dashboard.ts';

interface AllFlags extends DashboardFlags {
  http?: boolean;
}

/** `kubedispatch all`: scheduler, dispatcher and watcher in one process. */
export function registerAll(program: Command): void {
  const command = program
    .command('all')
    .description('run scheduler, dispatcher and watcher in one process (optionally the HTTP API too); stops cleanly on SIGTERM/SIGINT')
    .option('--http', 'also serve the HTTP API, Bull Board and /metrics (see `kubedispatch dashboard`)');
  dashboardOptions(command).action(async (flags: AllFlags) => {
    const env = processEnv();
    const settings = loadSettings(env, flags.config);
    const logger = createLogger(settings.log.level, 'kubedispatch');
    await runUntilSignal(
      'kubedispatch',
      () =>
        startAllInOne({
          settings,
          env,
          logger,
          ...(flags.project ? { projectDir: flags.project } : {}),
          ...(flags.kubeconfig ? { kubeconfigPath: flags.kubeconfig } : {}),
          http: flags.http ? dashboardOverrides(flags) : false,
        }),
      logger,
    );
  });
}
