import type { Env } from '../config/env.ts';
import type { Settings } from '../config/settings.ts';
import { startDispatcher } from './dispatcher-process.ts';
import type { DashboardOverrides } from '../http/dashboard.ts';
import type { Logger } from '../observability/logger.ts';
import { startSchedulerProcess } from './scheduler-process.ts';
import type { Service } from './run-service.ts';
import { startWatcherProcess } from './watcher-process.ts';

export interface AllInOneOptions {
  settings: Settings;
  env: Env;
  logger: Logger;
  projectDir?: string;
  kubeconfigPath?: string;
  /** Serve the HTTP API, Bull Board and /metrics too. */
  http?: DashboardOverrides | false;
}

/**
 * Scheduler, dispatcher and watcher in one process, each exactly as its own process would run:
 * for a laptop, the demo, or a small installation. Stops in reverse order of starting, so no
 * component outlives what it depends on.
 */
export async function startAllInOne(options: AllInOneOptions): Promise<Service> {
  const { settings, env, logger } = options;
  const started: Service[] = [];
  const stopAll = async (): Promise<void> => {
    for (const component of started.reverse()) await component.stop();
  };
  try {
    started.push(
      await startSchedulerProcess({
        settings,
        env,
        logger: logger.child({ role: 'scheduler' }),
        ...(options.projectDir ? { projectDir: options.projectDir } : {}),
        ...(options.kubeconfigPath ? { kubeconfig: options.kubeconfigPath } : {}),
        http: options.http ?? false,
      }),
    );
    started.push(
      await startDispatcher({
        settings,
        env,
        logger: logger.child({ role: 'dispatcher' }),
        ...(options.kubeconfigPath ? { kubeconfigPath: options.kubeconfigPath } : {}),
      }),
    );
    started.push(
      await startWatcherProcess({
        settings,
        env,
        logger: logger.child({ role: 'watcher' }),
        kubeconfigPath: options.kubeconfigPath,
      }),
    );
  } catch (thrown) {
    await stopAll();
    throw thrown;
  }
  return {
    stop: stopAll,
    ready: async () => {
      await Promise.all(started.map((component) => component.ready()));
    },
  };
}
