import type { Env } from '../config/env.ts';
import type { Settings } from '../config/settings.ts';
import type { Logger } from '../observability/logger.ts';
import type { Service } from './run-service.ts';
import { checkRedis } from '../redis/connection.ts';
import { openRunContext } from '../runs/run-context.ts';
import { checkDashboardSecurity, startDashboard, type DashboardOverrides } from '../http/dashboard.ts';

export interface DashboardProcessOptions {
  settings: Settings;
  env: Env;
  logger: Logger;
  projectDir?: string;
  kubeconfig?: string;
  overrides?: DashboardOverrides;
}

/** The dashboard process: HTTP API, Bull Board and /metrics (no schedules, no sweep). */
export async function startDashboardProcess(options: DashboardProcessOptions): Promise<Service> {
  checkDashboardSecurity(options.settings, options.overrides);
  const context = await openRunContext(options.settings, options.env, {
    logger: options.logger,
    ...(options.projectDir ? { projectDir: options.projectDir } : {}),
    ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
  });
  try {
    const server = await startDashboard(context, options.settings, options.logger, options.overrides);
    return {
      async stop() {
        await server.close();
        await context.close();
      },
      ready: () => checkRedis(context.services.redis),
    };
  } catch (thrown) {
    await context.close();
    throw thrown;
  }
}
