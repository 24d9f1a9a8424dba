import type { KubeConfig } from '@kubernetes/client-node';
import type { Redis } from 'ioredis';
import type { Settings } from '../config/settings.ts';
import { toError } from '../errors/to-error.ts';
import type { Logger } from '../observability/logger.ts';
import { RedisOutageLog } from '../redis/outage-log.ts';
import { watchedNamespaces } from '../render/context.ts';
import { RunStore } from '../runs/run-store.ts';
import { KubeClusterAccess, type ClusterAccess } from './cluster-access.ts';
import { Lease } from './lease.ts';
import { ListWatch, type ListWatchHandlers } from './list-watch.ts';
import { leaseHolder, trackedObjects, watchRestartsTotal } from './metrics.ts';
import { ObjectCache, type ResourceKind } from './object-cache.ts';
import { OrphanJobs } from './orphan-jobs.ts';
import { Reconciler } from './reconciler.ts';
import { Sweep } from './sweep.ts';
import { WorkQueue } from './work-queue.ts';

export interface WatcherOptions {
  settings: Settings;
  kubeConfig: KubeConfig;
  /** A connection of its own: used for the lease and the run store. */
  redis: Redis;
  logger: Logger;
  now?: () => number;
  /** Replaces the Kubernetes client (tests). */
  cluster?: ClusterAccess;
}

export interface Watcher {
  start(): void;
  /** Stops acting, finishes reconciles in flight, closes the watches and releases the lease. */
  stop(): Promise<void>;
  /** True while this watcher holds the lease. */
  readonly acting: boolean;
  /** True once every watched namespace has been listed. */
  readonly synced: boolean;
  /** Runs one sweep now (tests and the first sweep after taking the lease). */
  sweep(): Promise<void>;
}

const RECONCILE_CONCURRENCY = 32;
const RECONCILE_RETRY_MS = 1_000;
const WATCH_RETRY_BASE_MS = 250;
const WATCH_RETRY_MAX_MS = 30_000;

export function leaseKey(prefix: string): string {
  return `${prefix}:watcher:lease`;
}

/**
 * The watcher: list+watch of kubedispatch's Jobs and Pods into a slim cache, one reconcile per
 * changed Job, a periodic sweep over the active attempts, and a lease so that only one watcher
 * acts while standbys keep their caches warm.
 */
export function createWatcher(options: WatcherOptions): Watcher {
  const { settings, logger, redis } = options;
  const now = options.now ?? Date.now;
  // While Redis is away every reconcile, lease renewal and sweep fails: one line for the outage, not one per failure.
  const outages = new RedisOutageLog(logger, settings.redis.url);
  outages.watch(redis);
  const cluster =
    options.cluster ??
    new KubeClusterAccess(
      options.kubeConfig,
      settings.queue.prefix,
      settings.kube.requestTimeoutMs,
      settings.watcher.watchIdleTimeoutMs,
    );
  const runStore = new RunStore(redis, settings.queue.prefix, now);
  const cache = new ObjectCache(now);
  const namespaces = watchedNamespaces(settings.kube.namespaces);
  // No namespaces configured: one cluster-wide list+watch per resource.
  const scopes: (string | undefined)[] = namespaces.length > 0 ? namespaces : [undefined];

  const reconcileFailed = (key: string, error: Error): void => {
    if (!outages.absorb(error)) logger.warn({ job: key, err: error }, 'reconcile failed; retrying');
  };
  const queue = new WorkQueue((key) => reconciler.reconcile(key), reconcileFailed, {
    concurrency: RECONCILE_CONCURRENCY,
    retryDelayMs: RECONCILE_RETRY_MS,
  });
  const enqueue = (key: string | undefined): void => {
    // Standbys only keep the cache warm; taking the lease enqueues every Job.
    if (key !== undefined && acting()) queue.add(key);
  };

  // Removals reach the reconciler even on a standby, so that it forgets what it handled.
  const forget = (key: string | undefined): void => {
    if (key !== undefined) queue.add(key);
  };

  const lease = new Lease(redis, {
    key: leaseKey(settings.queue.prefix),
    ttlMs: settings.watcher.leaseTtlMs,
    now,
    onChange(held) {
      leaseHolder.set(held ? 1 : 0);
      logger.info({ held }, held ? 'watcher lease acquired: acting' : 'watcher lease not held: standing by');
      // A new actor decides everything its warm cache knows, then checks what the cache cannot.
      if (held) {
        for (const key of cache.jobKeys()) queue.add(key);
        void runSweep();
      }
    },
    onError: (error) => {
      if (!outages.absorb(error)) logger.warn({ err: error }, 'watcher lease: Redis call failed');
    },
  });
  const acting = (): boolean => lease.held;

  const reconciler = new Reconciler({
    cache,
    cluster,
    outcomes: runStore,
    acting,
    recheck: (key, at) => queue.addAt(key, at, now()),
    settings: settings.watcher,
    logger,
    now,
  });

  const scoped = (['jobs', 'pods'] as const).flatMap((kind) =>
    scopes.map((namespace) => ({
      namespace,
      listWatch: new ListWatch(cluster, handlersFor(kind, namespace), {
        kind,
        namespace,
        retryBaseMs: WATCH_RETRY_BASE_MS,
        retryMaxMs: WATCH_RETRY_MAX_MS,
      }),
    })),
  );
  const listWatches = scoped.map(({ listWatch }) => listWatch);

  function handlersFor(kind: ResourceKind, namespace: string | undefined): ListWatchHandlers {
    return {
      upsert: (raw) => enqueue(cache.upsert(kind, raw)),
      removed: (raw) => forget(cache.remove(kind, raw)),
      relisted(seen) {
        for (const key of cache.keysIn(kind, namespace)) if (!seen.has(key)) forget(cache.removeKey(kind, key));
        updateTracked();
      },
      restarted(cause) {
        watchRestartsTotal.inc({ resource: kind, cause });
        logger.debug({ resource: kind, namespace, cause }, 'watch restarted');
      },
      error: (error, context) => logger.warn({ err: error, context }, 'watch loop error; continuing'),
    };
  }

  function updateTracked(): void {
    const counts = cache.counts();
    trackedObjects.set({ resource: 'jobs' }, counts.jobs);
    trackedObjects.set({ resource: 'pods' }, counts.pods);
  }

  const watchersOf = (namespace: string): ListWatch[] =>
    scoped
      .filter((scope) => scope.namespace === undefined || scope.namespace === namespace)
      .map(({ listWatch }) => listWatch);
  const sweep = new Sweep({
    runStore,
    cache,
    cluster,
    acting,
    watches: (namespace) => watchersOf(namespace).length > 0,
    synced: (namespace) => watchersOf(namespace).every((listWatch) => listWatch.synced),
    enqueue,
    logger,
    now,
  });

  const orphans = new OrphanJobs({
    redis,
    prefix: settings.queue.prefix,
    runStore,
    cache,
    cluster,
    acting,
    synced: () => listWatches.every((listWatch) => listWatch.synced),
    graceMs: settings.watcher.orphanGraceMs,
    logger,
    now,
  });

  let sweeping: Promise<void> | undefined;
  async function runSweep(): Promise<void> {
    // One sweep at a time; a tick that comes while one runs joins it.
    const failed = (what: string) => (thrown: unknown) => {
      if (!outages.absorb(toError(thrown)))
        logger.warn({ err: toError(thrown) }, `${what} failed; next one in an interval`);
    };
    // The orphan check runs even when the sweep failed: neither holds up the other.
    sweeping ??= sweep
      .runOnce()
      .catch(failed('sweep'))
      .then(() => orphans.runOnce())
      .catch(failed('orphaned Jobs check'))
      .finally(() => {
        sweeping = undefined;
        updateTracked();
      });
    return sweeping;
  }

  let sweepTimer: NodeJS.Timeout | undefined;
  return {
    start() {
      for (const listWatch of listWatches) listWatch.start();
      lease.start();
      sweepTimer = setInterval(() => void runSweep(), settings.watcher.sweepIntervalMs);
    },
    async stop() {
      clearInterval(sweepTimer);
      await sweeping;
      await queue.stop();
      await Promise.all(listWatches.map((listWatch) => listWatch.stop()));
      await lease.stop();
    },
    get acting() {
      return acting();
    },
    get synced() {
      return listWatches.every((listWatch) => listWatch.synced);
    },
    sweep: runSweep,
  };
}
