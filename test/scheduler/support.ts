import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import type { Job } from 'bullmq';
import { afterEach, beforeEach } from 'vitest';
import { createLogger } from '../../src/observability/logger.ts';
import { createBlockRunQueue, type BlockRunJobData } from '../../src/runs/block-run-queue.ts';
import { RedisOutageLog } from '../../src/redis/outage-log.ts';
import { loadRenderContext } from '../../src/render/context.ts';
import { RunStore } from '../../src/runs/run-store.ts';
import type { AttemptOutcome } from '../../src/runs/types.ts';
import { advanceAndEnqueue } from '../../src/runs/advance-run.ts';
import type { RunCreator } from '../../src/runs/create-run.ts';
import type { RunServices } from '../../src/runs/run-services.ts';
import { createTriggerQueue, type TriggerTickData } from '../../src/runs/trigger-queue.ts';
import { testRedis, type TestRedis } from '../support/redis.ts';

export const silentLogger = createLogger('silent', 'test');

export interface BlockSpec {
  uuid: string;
  /** Mage block type; transformer when absent. */
  type?: string;
  upstream?: string[];
  retries?: number;
  executor_type?: string;
  executor_config?: Record<string, unknown>;
  /** Mage's block `configuration` (e.g. `dynamic`). */
  configuration?: Record<string, unknown>;
}

export interface PipelineSpec {
  blocks: BlockSpec[];
  concurrency?: { block_run_limit?: number; pipeline_run_limit?: number };
  /** The pipeline's `variables:` (Mage's global variables). */
  variables?: Record<string, unknown>;
  triggers?: unknown;
}

/** A Mage project on disk whose blocks render (an image is configured at project level). */
export function writeProject(pipelines: Record<string, PipelineSpec>): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'kd-project-'));
  writeFileSync(
    join(dir, 'metadata.yaml'),
    dump({ k8s_executor_config: { container: { image: 'busybox:1.36' }, namespace: 'default' } }),
  );
  for (const [uuid, spec] of Object.entries(pipelines)) {
    const folder = join(dir, 'pipelines', uuid);
    mkdirSync(folder, { recursive: true });
    const blocks = spec.blocks.map((block) => ({
      uuid: block.uuid,
      type: block.type ?? 'transformer',
      upstream_blocks: block.upstream ?? [],
      downstream_blocks: spec.blocks.filter((other) => other.upstream?.includes(block.uuid)).map((other) => other.uuid),
      ...(block.retries === undefined
        ? {}
        : { retry_config: { retries: block.retries, delay: 2, exponential_backoff: false, max_delay: 10 } }),
      ...(block.executor_type ? { executor_type: block.executor_type } : {}),
      ...(block.executor_config ? { executor_config: block.executor_config } : {}),
      ...(block.configuration ? { configuration: block.configuration } : {}),
    }));
    writeFileSync(
      join(folder, 'metadata.yaml'),
      dump({
        uuid,
        executor_type: 'k8s',
        blocks,
        ...(spec.concurrency ? { concurrency_config: spec.concurrency } : {}),
        ...(spec.variables ? { variables: spec.variables } : {}),
      }),
    );
    if (spec.triggers !== undefined) writeFileSync(join(folder, 'triggers.yaml'), dump(spec.triggers));
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Run services over the test's Redis and prefix (closed by the caller's cleanup). */
export function testServices(t: TestRedis): RunServices {
  const blockQueue = createBlockRunQueue(t.redis, t.prefix);
  const triggerQueue = createTriggerQueue(t.redis, t.prefix);
  return {
    redis: t.redis,
    outages: new RedisOutageLog(silentLogger, t.url),
    store: new RunStore(t.redis, t.prefix),
    blockQueue,
    triggerQueue,
    prefix: t.prefix,
    close: async () => {
      await Promise.all([blockQueue.close(), triggerQueue.close()]);
    },
  };
}

/** Gives each test its own Redis prefix and run services, closed and deleted after it. */
export function useServices(): { readonly t: TestRedis; readonly services: RunServices } {
  const state = {} as { t: TestRedis; services: RunServices };
  beforeEach(() => {
    state.t = testRedis();
    state.services = testServices(state.t);
  });
  afterEach(async () => {
    await state.services.close();
    await state.t.cleanup();
  });
  return state;
}

export function testCreator(services: RunServices, projectDir: string): RunCreator {
  return {
    store: services.store,
    blockQueue: services.blockQueue,
    plan: { projectDir, render: loadRenderContext({}, { queuePrefix: services.prefix }) },
  };
}

/** Every key the test wrote under its prefix. */
export async function keysUnder(t: TestRedis): Promise<string[]> {
  return t.redis.keys(`${t.prefix}:*`);
}

/**
 * Plays dispatcher and watcher: takes what is in the block-runs queue (in queue order), marks it
 * dispatching (so re-advancing does not re-add it), and returns the block uuids taken.
 */
export async function takeQueued(services: RunServices): Promise<Job<BlockRunJobData>[]> {
  const jobs = await services.blockQueue.getJobs(['waiting', 'prioritized'], 0, -1, true);
  for (const job of jobs) {
    await services.store.markDispatching(job.data.runId, job.data.blockUuid, 1);
    await job.remove();
  }
  return jobs;
}

const succeeded: AttemptOutcome = { succeeded: true, reason: 'Complete', message: 'Job completed', finishedAt: 1 };
const failed: AttemptOutcome = {
  succeeded: false,
  reason: 'BackoffLimitExceeded',
  message: 'Job has reached the specified backoff limit',
  exitCode: 2,
  finishedAt: 1,
};

/** Finishes a taken block run's first attempt as the watcher and dispatcher would, then advances its run. */
export async function finish(
  services: RunServices,
  job: Job<BlockRunJobData>,
  result: 'succeeded' | 'failed',
): Promise<void> {
  const { runId, blockUuid, blockRunId } = job.data;
  await services.store.markRunning(runId, blockUuid, 1, `mage-test-block-${blockRunId}`, 'default');
  await services.store.applyAttemptResult(runId, blockUuid, 1, result, result === 'succeeded' ? succeeded : failed);
  await advanceAndEnqueue(services.store, services.blockQueue, runId);
}

export function uuids(jobs: readonly Job<BlockRunJobData>[]): string[] {
  return jobs.map((job) => job.data.blockUuid).sort();
}

/** A tick as the scheduler pass adds it, for an hourly time trigger of `pipelineUuid`. */
export function tickFor(
  pipelineUuid: string,
  trigger: string,
  overrides: Partial<TriggerTickData> = {},
): TriggerTickData {
  return {
    triggerId: 7,
    pipelineUuid,
    trigger,
    scheduleType: 'time',
    scheduleInterval: '@hourly',
    variables: {},
    settings: {
      skipIfPreviousRunning: false,
      allowBlocksToFail: false,
      createInitialPipelineRun: false,
      landingTimeEnabled: false,
      timeoutStatus: 'failed',
    },
    executionDate: Date.UTC(2026, 0, 1),
    ...overrides,
  };
}
