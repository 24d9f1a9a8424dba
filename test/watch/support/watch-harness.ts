import { randomBytes } from 'node:crypto';
import { BatchV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { Env } from '../../../src/config/env.ts';
import { loadSettings } from '../../../src/config/settings.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { RunStore } from '../../../src/runs/run-store.ts';
import type { AttemptOutcome } from '../../../src/runs/types.ts';
import { startSimCluster, type SimCluster } from '../../../src/sim/sim-cluster.ts';
import { createWatcher, type Watcher } from '../../../src/watch/watcher.ts';
import { testRedis, type TestRedis } from '../../support/redis.ts';
import { eventually } from './eventually.ts';
import { attemptJobManifest, runningAttempt, type AttemptJob, type JobOptions } from './watched-jobs.ts';

/** Short graces and timeouts so that every failure path ends within a test's time. */
export const FAST_WATCHER_ENV = {
  KUBEDISPATCH_WATCHER_SWEEP_INTERVAL_MS: '250',
  KUBEDISPATCH_WATCH_IDLE_TIMEOUT_MS: '5000',
  KUBEDISPATCH_PULL_ERROR_GRACE_MS: '300',
  KUBEDISPATCH_POD_START_TIMEOUT_MS: '1200',
  KUBEDISPATCH_WATCHER_LEASE_TTL_MS: '1200',
  KUBEDISPATCH_LOG_TAIL_LINES: '3',
  // Tests wait for finished Jobs to go; the grace against late creates has its own test.
  KUBEDISPATCH_FINISHED_JOB_GRACE_MS: '0',
};

export async function startSim(): Promise<SimCluster> {
  return startSimCluster({ podFailureBackoffMs: 50, bookmarkIntervalMs: 1_000 });
}

/** One test's world: a namespace of its own on a shared simulated cluster and a Redis prefix of its own. */
export class WatchHarness {
  readonly sim: SimCluster;
  readonly redis: TestRedis = testRedis();
  readonly namespace = `kd-watch-${randomBytes(3).toString('hex')}`;
  readonly store: RunStore;
  readonly batch: BatchV1Api;
  readonly core: CoreV1Api;
  readonly #watchers: Watcher[] = [];

  constructor(sim: SimCluster) {
    this.sim = sim;
    this.store = new RunStore(this.redis.redis, this.redis.prefix);
    this.batch = sim.kubeConfig.makeApiClient(BatchV1Api);
    this.core = sim.kubeConfig.makeApiClient(CoreV1Api);
  }

  async setUp(): Promise<this> {
    await this.core.createNamespace({ body: { metadata: { name: this.namespace } } });
    return this;
  }

  /** The environment a watcher process of this test runs with. */
  env(kubeconfigPath = this.sim.kubeconfigPath, extra: Env = {}): Record<string, string> {
    return {
      REDIS_URL: this.redis.url,
      KUBEDISPATCH_QUEUE_PREFIX: this.redis.prefix,
      KUBECONFIG: kubeconfigPath,
      KUBEDISPATCH_NAMESPACES: this.namespace,
      LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
      ...FAST_WATCHER_ENV,
      ...(extra as Record<string, string>),
    };
  }

  startWatcher(
    kubeConfig: KubeConfig = this.sim.kubeConfig,
    kubeconfigPath = this.sim.kubeconfigPath,
    extra: Env = {},
  ): Watcher {
    const settings = loadSettings(this.env(kubeconfigPath, extra));
    const watcher = createWatcher({
      settings,
      kubeConfig,
      redis: this.redis.connect(),
      logger: createLogger(settings.log.level, 'watcher-test'),
    });
    watcher.start();
    this.#watchers.push(watcher);
    return watcher;
  }

  /** A running attempt in Redis and its Job in the cluster. */
  async attemptWithJob(options: JobOptions = {}): Promise<AttemptJob> {
    const attempt = await runningAttempt(this.store, this.namespace);
    await this.batch.createNamespacedJob({
      namespace: this.namespace,
      body: attemptJobManifest(attempt, this.redis.prefix, options),
    });
    return attempt;
  }

  outcome(attempt: AttemptJob, timeoutMs = 10_000): Promise<AttemptOutcome> {
    return eventually(`outcome of ${attempt.jobName}`, () => this.store.getOutcome(attempt), timeoutMs);
  }

  async jobExists(attempt: AttemptJob): Promise<boolean> {
    try {
      await this.batch.readNamespacedJob({ namespace: attempt.namespace, name: attempt.jobName });
      return true;
    } catch (error) {
      if ((error as { code?: number }).code === 404) return false;
      throw error;
    }
  }

  async jobGone(attempt: AttemptJob, timeoutMs = 10_000): Promise<void> {
    await eventually(
      `deletion of ${attempt.jobName}`,
      async () => ((await this.jobExists(attempt)) ? undefined : true),
      timeoutMs,
    );
  }

  /** Runs a sweep on every watcher this test started. */
  async sweep(): Promise<void> {
    await Promise.all(this.#watchers.map((watcher) => watcher.sweep()));
  }

  async cleanUp(): Promise<void> {
    await Promise.all(this.#watchers.map((watcher) => watcher.stop()));
    await this.core.deleteNamespace({ name: this.namespace }).catch(() => undefined);
    await this.redis.cleanup();
  }
}

export interface WatchWorld {
  sim: SimCluster;
  h: WatchHarness;
}

/**
 * Hooks for a test file: one simulated cluster for the file, a fresh harness (namespace of its
 * own, Redis prefix of its own) per test, cleaned up after it.
 */
export function useWatchWorld(): WatchWorld {
  const world = {} as WatchWorld;
  beforeAll(async () => {
    world.sim = await startSim();
  });
  afterAll(() => world.sim.stop());
  beforeEach(async () => {
    world.h = await new WatchHarness(world.sim).setUp();
  });
  afterEach(() => world.h.cleanUp());
  return world;
}
