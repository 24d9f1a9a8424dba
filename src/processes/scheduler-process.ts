import type { Env } from '../config/env.ts';
import type { Settings } from '../config/settings.ts';
import { checkDashboardSecurity, startDashboard, type DashboardOverrides } from '../http/dashboard.ts';
import type { Logger } from '../observability/logger.ts';
import type { Service } from './run-service.ts';
import { checkRedis, stopReconnecting } from '../redis/connection.ts';
import { openRunContext } from '../runs/run-context.ts';
import { startScheduler } from '../scheduler/scheduler-service.ts';

export interface SchedulerProcessOptions {
  settings: Settings;
  env: Env;
  logger: Logger;
  projectDir?: string;
  kubeconfig?: string;
  /** Also serve the HTTP API and dashboard from this process. */
  http?: DashboardOverrides | false;
}

/** The scheduler process: schedules, trigger worker and sweep, optionally the HTTP API. */
export async function startSchedulerProcess(options: SchedulerProcessOptions): Promise<Service> {
  const { settings, env, logger } = options;
  const projectDir = options.projectDir ?? settings.project.dir;
  if (options.http) checkDashboardSecurity(settings, options.http);
  if (!projectDir)
    throw new Error(
      'the scheduler needs a Mage project: pass --project DIR or set KUBEDISPATCH_PROJECT_DIR (project.dir in the settings file)',
    );
  const context = await openRunContext(settings, env, {
    projectDir,
    logger,
    ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
  });
  try {
    const scheduler = startScheduler({
      services: context.services,
      creator: context.creator,
      canceller: context.canceller,
      mageEnv: context.mageEnv,
      sweepIntervalMs: settings.scheduler.sweepIntervalMs,
      retention: { retentionMs: settings.runs.retentionMs, intervalMs: settings.runs.pruneIntervalMs },
      logger,
    });
    const server = options.http ? await startDashboard(context, settings, logger, options.http) : undefined;
    logger.info({ projectDir, http: server?.url }, 'scheduler started');
    return {
      async stop() {
        // Before anything waits on Redis: while it is down, its calls now fail instead of waiting.
        stopReconnecting(context.services.redis);
        await server?.close();
        await scheduler.stop();
        await context.close();
      },
      ready: () => checkRedis(context.services.redis),
    };
  } catch (thrown) {
    await context.close();
    throw thrown;
  }
}
