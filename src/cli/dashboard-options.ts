import type { Command } from 'commander';
import type { DashboardOverrides } from '../http/dashboard.ts';
import { portNumber } from './option-parsers.ts';
import { settingsFileOption } from './settings-option.ts';

export interface DashboardFlags {
  project?: string;
  kubeconfig?: string;
  host?: string;
  port?: number;
  uiWritable?: boolean;
  config?: string;
}

/** Flags of the commands that serve the dashboard only with `--http` (`scheduler`, `all`). */
export interface OptionalDashboardFlags extends DashboardFlags {
  http?: boolean;
}

/** Flags of `dashboard`, also taken by the commands that can serve it. */
export function dashboardOptions(command: Command): Command {
  return command
    .option('--project <dir>', 'Mage project runs are created from (default: project.dir / KUBEDISPATCH_PROJECT_DIR)')
    .option(
      '--kubeconfig <file>',
      'kubeconfig used to delete the Jobs of cancelled runs (default: KUBECONFIG, in-cluster, ~/.kube/config)',
    )
    .option(
      '--host <address>',
      'listen address (default: http.host / KUBEDISPATCH_HTTP_HOST, 127.0.0.1); beyond loopback a token is required',
    )
    .option('--port <port>', 'listen port (default: http.port / KUBEDISPATCH_HTTP_PORT, 8080)', portNumber)
    .option('--ui-writable', 'let Bull Board retry and remove queue jobs (default: read-only)')
    .addOption(settingsFileOption());
}

export function optionalDashboardOptions(command: Command): Command {
  return dashboardOptions(
    command.option('--http', 'also serve the HTTP API, Bull Board and /metrics (see `kubedispatch dashboard`)'),
  );
}

export function dashboardOverrides(flags: DashboardFlags): DashboardOverrides {
  return {
    ...(flags.host ? { host: flags.host } : {}),
    ...(flags.port !== undefined ? { port: flags.port } : {}),
    ...(flags.uiWritable ? { uiWritable: true } : {}),
  };
}

/** `false` (serve no dashboard) without `--http`. */
export function optionalDashboardOverrides(flags: OptionalDashboardFlags): DashboardOverrides | false {
  return flags.http ? dashboardOverrides(flags) : false;
}
