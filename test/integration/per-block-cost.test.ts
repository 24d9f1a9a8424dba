import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { V1Job } from '@kubernetes/client-node';
import { createBlockRunProcessor } from '../../src/dispatch/block-run-processor.ts';
import { BlockRenderer } from '../../src/dispatch/block-renderer.ts';
import type { JobCreator } from '../../src/dispatch/create-job.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startLocalRedis, type LocalRedis } from '../../src/redis/local-redis-server.ts';
import { loadRenderContext } from '../../src/render/context.ts';
import { ATTEMPT_LABEL, BLOCK_RUN_ID_LABEL } from '../../src/render/identity.ts';
import { BLOCK_RUN_QUEUE, createBlockRunQueue, type BlockRunJobData } from '../../src/runs/block-run-queue.ts';
import { createPipelineRun } from '../../src/runs/create-run.ts';
import { OutcomeWaiter } from '../../src/runs/outcome-waiter.ts';
import { RunStore } from '../../src/runs/run-store.ts';
import { writeProject, type TestBlock } from '../dispatch/support/project.ts';

/**
 * Issue 14: the cost of one block run must not grow with the size of its run. Runs of two sizes
 * go through the real dispatcher processor (BullMQ worker, renderer, outcome waiter, run store
 * and its Lua scripts) on a private Redis, whose own counters say what each block cost; only the
 * Kubernetes API is replaced, by a creator that records each Job's outcome as the watcher would.
 */
const SMALL = 20;
const LARGE = 400;
/** Once-per-run work shrinks per block as runs grow; anything per block that grows with the run shows well above this. */
const TOLERANCE = 1.15;
/**
 * Transitions of one block that announce its run on the changes channel (run-changes.ts): taken
 * by a dispatcher, its Job created, its outcome applied, the run advanced after it.
 */
const CHANGES_PER_BLOCK = 4;

/** Half the blocks are roots, each other block waits for the root before it: queueing, and advancing downstream. */
function blocks(count: number): TestBlock[] {
  return Array.from({ length: count }, (_, index) => ({
    uuid: `b${index}`,
    ...(index % 2 === 1 ? { upstream: [`b${index - 1}`] } : {}),
  }));
}

interface Cost {
  commandsPerBlock: number;
  bytesSentPerBlock: number;
  /** Reads of a whole run-sized key (the blocks hash, the project snapshot), counted per run. */
  wholeRunReads: number;
  /** Messages on the run changes channel, one per transition that changed the run. */
  changesPerBlock: number;
}

function commandCalls(info: string): number {
  return [...info.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

function statField(info: string, field: string): number {
  return Number(new RegExp(`^${field}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
}

describe('per-block cost', () => {
  let server: LocalRedis;
  let admin: Redis;
  const logger = createLogger('silent', 'per-block-cost');

  beforeAll(async () => {
    // A private server: its counters see this test's commands only.
    server = await startLocalRedis();
    admin = new Redis(server.url, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  async function measure(count: number): Promise<Cost> {
    const prefix = `cost-${count}`;
    const project = writeProject(blocks(count), 'cost');
    const connections = Array.from({ length: 3 }, () => new Redis(server.url, { maxRetriesPerRequest: null }));
    const [redis, subscriber, workerConnection] = connections as [Redis, Redis, Redis];
    const monitor = await admin.monitor();
    const stopping = new AbortController();
    try {
      const store = new RunStore(redis, prefix);
      const queue = createBlockRunQueue(redis, prefix);
      const waiter = new OutcomeWaiter(store, subscriber, logger, 3_600_000);
      await waiter.start();
      const render = loadRenderContext({}, { queuePrefix: prefix });
      // Creating a Job is where the watcher takes over: it decides the attempt succeeded.
      const creator = {
        async create(_namespace: string, job: V1Job) {
          const labels = job.metadata?.labels ?? {};
          const key = { blockRunId: Number(labels[BLOCK_RUN_ID_LABEL]), attempt: Number(labels[ATTEMPT_LABEL]) };
          await store.recordOutcome(key, {
            succeeded: true,
            reason: 'Complete',
            message: 'Job completed',
            finishedAt: Date.now(),
          });
          return { adopted: false };
        },
        async delete() {},
      } as unknown as JobCreator;
      const processor = createBlockRunProcessor({
        store,
        queue,
        waiter,
        renderer: new BlockRenderer(store, render),
        creator,
        slots: undefined,
        logger,
        stopping: stopping.signal,
      });

      // The prefix holds this one run.
      const blocksKey = new RegExp(`^${prefix}:run:\\d+:blocks$`);
      const projectKey = new RegExp(`^${prefix}:run:\\d+:project$`);
      const wholeRunReads: string[] = [];
      let changes = 0;
      monitor.on('monitor', (_time: string, args: string[]) => {
        const [command, key] = [String(args[0]).toLowerCase(), String(args[1])];
        if (['hgetall', 'hvals', 'hkeys'].includes(command) && blocksKey.test(key)) wholeRunReads.push(command);
        if (command === 'get' && projectKey.test(key)) wholeRunReads.push(command);
        if (command === 'publish' && key === store.keys.changesChannel) changes += 1;
      });
      const before = {
        commands: commandCalls(await admin.info('commandstats')),
        bytes: statField(await admin.info('stats'), 'total_net_input_bytes'),
      };

      const worker = new Worker<BlockRunJobData, string>(BLOCK_RUN_QUEUE, processor, {
        connection: workerConnection,
        prefix,
        concurrency: 50,
      });
      let completed = 0;
      const allCompleted = new Promise<void>((resolve, reject) => {
        worker.on('completed', () => ++completed === count && resolve());
        worker.on('failed', (job, error) =>
          reject(new Error(`block run ${job?.data.blockUuid} failed: ${error.message}`)),
        );
      });
      const runId = await createPipelineRun(
        { store, blockQueue: queue, plan: { projectDir: project.dir, render } },
        { pipelineUuid: 'pipeline', trigger: 'manual', variables: {} },
      );
      await allCompleted;
      await worker.close();
      expect((await store.getRunRecord(runId))?.state).toBe('succeeded');

      const after = {
        commands: commandCalls(await admin.info('commandstats')),
        bytes: statField(await admin.info('stats'), 'total_net_input_bytes'),
      };
      await queue.close();
      await waiter.stop();
      return {
        commandsPerBlock: (after.commands - before.commands) / count,
        bytesSentPerBlock: (after.bytes - before.bytes) / count,
        wholeRunReads: wholeRunReads.length,
        changesPerBlock: changes / count,
      };
    } finally {
      stopping.abort();
      monitor.disconnect();
      for (const connection of connections) connection.disconnect();
      project.remove();
    }
  }

  it(`costs a block of a ${LARGE}-block run no more Redis commands, bytes or whole-run reads than one of a ${SMALL}-block run`, async () => {
    const small = await measure(SMALL);
    const large = await measure(LARGE);
    const figures = JSON.stringify({ small, large });
    expect(large.commandsPerBlock, figures).toBeLessThanOrEqual(small.commandsPerBlock * TOLERANCE);
    expect(large.bytesSentPerBlock, figures).toBeLessThanOrEqual(small.bytesSentPerBlock * TOLERANCE);
    // Reading the whole run is for once-per-run steps (creating the run, building its indexes), never per block.
    expect(large.wholeRunReads, figures).toBeLessThanOrEqual(small.wholeRunReads);
    // Each is one PUBLISH inside a script already counted above; at most one per transition, plus the run's creation.
    for (const cost of [small, large]) {
      expect(cost.changesPerBlock, figures).toBeGreaterThan(0);
      expect(cost.changesPerBlock, figures).toBeLessThanOrEqual(CHANGES_PER_BLOCK + 1 / SMALL);
    }
  }, 120_000);
});
