import type { Command } from 'commander';
import { processEnv } from '../../config/env.ts';
import { loadSettings } from '../../config/settings.ts';
import type { DashboardOverrides } from '../../http/dashboard.ts';
import { startDashboardProcess } from '../../http/dashboard-process.ts';
import { createLogger } from '../../observability/logger.ts';
import { runUntilSignal } from '../../process/run-until-signal.ts';
import { portNumber } from '../option-parsers.ts';

export interface DashboardFlags {
  project?: string;
  kubeconfig?: string;
  host?: string;
  port?: number;
  uiWritable?: boolean;
  config?: string;
}

/** Flags shared by `dashboard` and `scheduler --http`. */
export function dashboardOptions(command: Command): Command {
  return command
    .option('--project <dir>', 'Mage project runs are created from (default: project.dir / KUBEDISPATCH_PROJECT_DIR)')
    .option('--kubeconfig <file>', 'kubeconfig used to delete the Jobs of cancelled runs (default: KUBECONFIG, in-cluster, ~/.kube/config)')
    .option('--host <address>', 'listen address (default: http.host / KUBEDISPATCH_HTTP_HOST, 127.0.0.1); beyond loopback a token is required')
    .option('--port <port>', 'listen port (default: http.port / KUBEDISPATCH_HTTP_PORT, 8080)', portNumber)
    .option('--ui-writable', 'let Bull Board retry and remove queue jobs (default: read-only)')
    .option('--config <file>', 'settings YAML file (default: KUBEDISPATCH_CONFIG)');
}

export function dashboardOverrides(flags: DashboardFlags): DashboardOverrides {
  return { ...(flags.host ? { host: flags.host } : {}), ...(flags.port !== undefined ? { port: flags.port } : {}), ...(flags.uiWritable ? { uiWritable: true } : {}) };
}

/** `kubedispatch dashboard`: the same process as `workers/dashboard.ts`, with flags. */
export function registerDashboard(program: Command): void {
  const command = program
    .command('dashboard')
    .description('serve the HTTP API (/api/v1), Bull Board (/ui), /metrics, /healthz and /readyz; the token in KUBEDISPATCH_AUTH_TOKEN is required beyond loopback');
  dashboardOptions(command).action(async (flags: DashboardFlags) => {
    const env = processEnv();
    const settings = loadSettings(env, flags.config);
    const logger = createLogger(settings.log.level, 'dashboard');
    await runUntilSignal('dashboard', () => startDashboardProcess({ settings, env, logger, projectDir: flags.project, kubeconfig: flags.kubeconfig, overrides: dashboardOverrides(flags) }), logger);
  });
}
