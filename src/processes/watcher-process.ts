import type { Env } from '../config/env.ts';
import type { Settings } from '../config/settings.ts';
import { openCluster } from '../k8s/open-cluster.ts';
import type { Logger } from '../observability/logger.ts';
import type { Service } from './run-service.ts';
import { checkRedis, closeRedis, connectRedis, stopReconnecting } from '../redis/connection.ts';
import { createWatcher } from '../watch/watcher.ts';

export interface WatcherProcessOptions {
  settings: Settings;
  env: Env;
  logger: Logger;
  /** Overrides `kube.kubeconfig` (the CLI's --kubeconfig). */
  kubeconfigPath?: string | undefined;
}

/**
 * ioredis's default: while Redis is down, the lease's and the sweep's calls fail after this many
 * reconnection attempts (about 10 s) instead of waiting, so the watcher goes on and tries again.
 */
const WATCHER_REDIS_RETRIES = 20;

/**
 * Starts a watcher with a Redis connection of its own. Stopping it lets reconciles in flight
 * finish and releases the lease, so a standby takes over at once.
 */
export async function startWatcherProcess(options: WatcherProcessOptions): Promise<Service> {
  const { settings, env, logger } = options;
  const cluster = openCluster(settings, env, { kubeconfigPath: options.kubeconfigPath });
  const redis = await connectRedis(settings.redis.url, { maxRetriesPerRequest: WATCHER_REDIS_RETRIES });
  const watcher = createWatcher({ settings, cluster, redis, logger });
  watcher.start();
  logger.info({ namespaces: settings.kube.namespaces }, 'watcher started');
  return {
    async stop() {
      // While Redis is down the lease cannot be released (it expires instead) and outcomes cannot be
      // stored (the next actor decides them again): fail those calls rather than wait for Redis.
      stopReconnecting(redis);
      await watcher.stop();
      await closeRedis(redis);
    },
    async ready() {
      await checkRedis(redis);
      // Until then outcomes could be decided from an incomplete picture (and a standby could not take over).
      if (!watcher.synced) throw new Error('the watches have not listed every watched namespace yet');
    },
  };
}
