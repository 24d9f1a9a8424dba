import type { Queue } from 'bullmq';
import { loadSettings, type Settings } from '../../../src/config/settings.ts';
import type { Env } from '../../../src/config/env.ts';
import {
  startDispatcher,
  type DispatcherOptions,
  type RunningDispatcher,
} from '../../../src/processes/dispatcher-process.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createBlockRunQueue, type BlockRunJobData } from '../../../src/runs/block-run-queue.ts';
import { loadRenderContext } from '../../../src/render/context.ts';
import { RunStore } from '../../../src/runs/run-store.ts';
import { TERMINAL_RUN_STATES, type RunWithBlocks } from '../../../src/runs/types.ts';
import { createPipelineRun } from '../../../src/runs/create-run.ts';
import { startSimCluster, type SimCluster } from '../../../src/sim/sim-cluster.ts';
import { createWatcher, type Watcher } from '../../../src/watch/watcher.ts';
import { testRedis, type TestRedis } from '../../support/redis.ts';
import { writeProject, type TestBlock, type TestProjectOptions } from './project.ts';
import { SimJobs } from './sim-jobs.ts';
import { waitFor } from './wait-for.ts';

export interface DispatchHarness {
  redis: TestRedis;
  sim: SimCluster;
  store: RunStore;
  queue: Queue<BlockRunJobData>;
  jobs: SimJobs;
  /** Settings environment of dispatchers (in-process and child processes alike). */
  env(overrides?: Env): Env;
  startDispatcher(overrides?: Env, options?: Partial<DispatcherOptions>): Promise<RunningDispatcher>;
  /** The real watcher, in this process, on the simulated cluster. */
  startWatcher(overrides?: Env): Watcher;
  /** Writes a project (removed on cleanup) and returns its directory. */
  project(blocks: TestBlock[], jobNamePrefix?: string, options?: TestProjectOptions): string;
  /** Validates and creates a run of the project's `pipeline`, enqueueing its first blocks (as the scheduler does). */
  createRun(projectDir: string, variables?: Record<string, unknown>): Promise<number>;
  waitForRun(runId: number, timeoutMs?: number): Promise<RunWithBlocks>;
  cleanup(): Promise<void>;
}

/** Real Redis (unique prefix), the simulated cluster over HTTP, and dispatchers built like production. */
export async function dispatchHarness(
  simOptions: Parameters<typeof startSimCluster>[0] = {},
): Promise<DispatchHarness> {
  const redis = testRedis();
  const sim = await startSimCluster({ podFailureBackoffMs: 10, ...simOptions });
  const store = new RunStore(redis.redis, redis.prefix);
  const queue = createBlockRunQueue(redis.connect(), redis.prefix);
  const jobs = new SimJobs(sim.kubeConfig);
  const dispatchers: RunningDispatcher[] = [];
  const projects: (() => void)[] = [];
  const watchers: Watcher[] = [];
  const logger = createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent', 'dispatcher-test');

  const env = (overrides: Env = {}): Env => ({
    REDIS_URL: redis.url,
    KUBEDISPATCH_QUEUE_PREFIX: redis.prefix,
    KUBECONFIG: sim.kubeconfigPath,
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
    KUBEDISPATCH_OUTCOME_POLL_MS: '250',
    KUBEDISPATCH_API_RETRY_BASE_MS: '10',
    KUBEDISPATCH_API_RETRY_MAX_MS: '100',
    KUBEDISPATCH_API_RETRY_DEADLINE_MS: '5000',
    KUBEDISPATCH_DISPATCHER_LOCK_DURATION_MS: '1000',
    KUBEDISPATCH_DISPATCHER_STALLED_INTERVAL_MS: '500',
    KUBEDISPATCH_API_QPS: '1000',
    KUBEDISPATCH_API_BURST: '1000',
    KUBEDISPATCH_WATCHER_SWEEP_INTERVAL_MS: '250',
    KUBEDISPATCH_FINISHED_JOB_GRACE_MS: '0',
    KUBEDISPATCH_WATCHER_LEASE_TTL_MS: '1200',
    ...overrides,
  });
  const settings = (overrides?: Env): Settings => loadSettings(env(overrides));

  return {
    redis,
    sim,
    store,
    queue,
    jobs,
    env,
    async startDispatcher(overrides, options = {}) {
      const dispatcher = await startDispatcher({ settings: settings(overrides), env: {}, logger, ...options });
      dispatchers.push(dispatcher);
      return dispatcher;
    },
    startWatcher(overrides) {
      const watcher = createWatcher({
        settings: settings(overrides),
        kubeConfig: sim.kubeConfig,
        redis: redis.connect(),
        logger,
      });
      watcher.start();
      watchers.push(watcher);
      return watcher;
    },
    project(blocks, jobNamePrefix, options) {
      const written = writeProject(blocks, jobNamePrefix, options);
      projects.push(written.remove);
      return written.dir;
    },
    createRun: (projectDir, variables = {}) =>
      createPipelineRun(
        {
          store,
          blockQueue: queue,
          plan: { projectDir, render: loadRenderContext({}, { queuePrefix: redis.prefix }) },
        },
        { pipelineUuid: 'pipeline', trigger: '', variables },
      ),
    waitForRun: (runId, timeoutMs) =>
      waitFor(
        `run ${runId} to finish`,
        async () => {
          const run = await store.getRun(runId);
          return run && TERMINAL_RUN_STATES.has(run.state) ? run : undefined;
        },
        timeoutMs,
      ),
    async cleanup() {
      jobs.stop();
      await Promise.all([...dispatchers, ...watchers].map((running) => running.stop()));
      await queue.close();
      await sim.stop();
      await redis.cleanup();
      for (const remove of projects) remove();
    },
  };
}
