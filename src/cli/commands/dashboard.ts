import type { Command } from 'commander';
import { dashboardOptions, dashboardOverrides, type DashboardFlags } from '../dashboard-options.ts';

/** `kubedispatch dashboard`: the same process as `workers/dashboard.ts`, with flags. */
export function registerDashboard(program: Command): void {
  const command = program
    .command('dashboard')
    .description(
      'serve the HTTP API (/api/v1), Bull Board (/ui), /metrics, /healthz and /readyz; the token in KUBEDISPATCH_AUTH_TOKEN is required beyond loopback',
    );
  dashboardOptions(command).action(async (flags: DashboardFlags) => {
    const { runService } = await import('../../processes/run-service.ts');
    const { startDashboardProcess } = await import('../../processes/dashboard-process.ts');
    await runService('dashboard', flags.config, (basics) =>
      startDashboardProcess({
        ...basics,
        projectDir: flags.project,
        kubeconfig: flags.kubeconfig,
        overrides: dashboardOverrides(flags),
      }),
    );
  });
}
