import type { Settings } from '../config/settings.ts';
import type { Logger } from '../observability/logger.ts';
import type { RunContext } from '../runs/run-context.ts';
import { allowedHosts } from './allowed-hosts.ts';
import { checkListenSecurity } from './auth.ts';
import { startHttpServer, type RunningHttpServer } from './server.ts';

/** Command-line overrides of the `http.*` settings. */
export interface DashboardOverrides {
  host?: string;
  port?: number;
  uiWritable?: boolean;
}

/** Refuses an insecure listen address before a process connects to anything. */
export function checkDashboardSecurity(settings: Settings, overrides: DashboardOverrides = {}): void {
  checkListenSecurity(overrides.host ?? settings.http.host, settings.http.authToken);
}

/** The HTTP API, Bull Board and /metrics over a process's run context, configured from `http.*`. */
export function startDashboard(
  context: RunContext,
  settings: Settings,
  logger: Logger,
  overrides: DashboardOverrides = {},
): Promise<RunningHttpServer> {
  const host = overrides.host ?? settings.http.host;
  return startHttpServer({
    host,
    allowedHosts: allowedHosts(settings, host),
    proxiedHosts: settings.http.allowedHosts,
    port: overrides.port ?? settings.http.port,
    authToken: settings.http.authToken,
    uiWritable: overrides.uiWritable ?? settings.http.uiWritable,
    services: context.services,
    creator: context.creator,
    canceller: context.canceller,
    mageEnv: context.mageEnv,
    logger,
  });
}
