import { once } from 'node:events';
import { Redis } from 'ioredis';
import type { Env } from '../config/env.ts';
import type { Settings } from '../config/settings.ts';
import { toError } from '../errors/to-error.ts';
import { createKubeConfig } from '../k8s/kube-config.ts';
import type { Logger } from '../observability/logger.ts';
import { createWatcher } from './watcher.ts';

export interface WatcherProcessOptions {
  settings: Settings;
  env: Env;
  logger: Logger;
  /** Overrides `kube.kubeconfig` (the CLI's --kubeconfig). */
  kubeconfigPath?: string | undefined;
}

/**
 * Runs a watcher until SIGTERM or SIGINT, then stops it cleanly: reconciles in flight finish,
 * the lease is released so a standby takes over at once. A second signal exits at once.
 */
export async function runWatcherUntilSignal(options: WatcherProcessOptions): Promise<void> {
  const { settings, env, logger } = options;
  const kubeConfig = createKubeConfig(options.kubeconfigPath || settings.kube.kubeconfig || undefined, env);
  const redis = new Redis(settings.redis.url, { lazyConnect: true });
  redis.on('error', (thrown: unknown) => logger.warn({ err: toError(thrown) }, 'watcher Redis connection error'));
  await redis.connect();
  const watcher = createWatcher({ settings, kubeConfig, redis, logger });
  watcher.start();
  logger.info({ namespaces: settings.kube.namespaces }, 'watcher started');
  const signal = await Promise.race([once(process, 'SIGTERM').then(() => 'SIGTERM'), once(process, 'SIGINT').then(() => 'SIGINT')]);
  logger.info({ signal }, 'stopping watcher');
  const forceExit = () => process.exit(1);
  process.once('SIGTERM', forceExit).once('SIGINT', forceExit);
  await watcher.stop();
  await redis.quit().catch(() => redis.disconnect());
  process.off('SIGTERM', forceExit).off('SIGINT', forceExit);
}
