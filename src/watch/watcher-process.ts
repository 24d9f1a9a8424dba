import { Redis } from 'ioredis';
import type { Env } from '../config/env.ts';
import type { Settings } from '../config/settings.ts';
import { toError } from '../errors/to-error.ts';
import { createKubeConfig } from '../k8s/kube-config.ts';
import type { Logger } from '../observability/logger.ts';
import type { Stoppable } from '../process/run-until-signal.ts';
import { createWatcher } from './watcher.ts';

export interface WatcherProcessOptions {
  settings: Settings;
  env: Env;
  logger: Logger;
  /** Overrides `kube.kubeconfig` (the CLI's --kubeconfig). */
  kubeconfigPath?: string | undefined;
}

/**
 * Starts a watcher with a Redis connection of its own. Stopping it lets reconciles in flight
 * finish and releases the lease, so a standby takes over at once.
 */
export async function startWatcherProcess(options: WatcherProcessOptions): Promise<Stoppable> {
  const { settings, env, logger } = options;
  const kubeConfig = createKubeConfig(options.kubeconfigPath || settings.kube.kubeconfig || undefined, env);
  const redis = new Redis(settings.redis.url, { lazyConnect: true });
  redis.on('error', (thrown: unknown) => logger.warn({ err: toError(thrown) }, 'watcher Redis connection error'));
  await redis.connect();
  const watcher = createWatcher({ settings, kubeConfig, redis, logger });
  watcher.start();
  logger.info({ namespaces: settings.kube.namespaces }, 'watcher started');
  return {
    async stop() {
      await watcher.stop();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
