import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/observability/logger.ts';
import { ANY_RUN, RunChanges, type RunChange } from '../../src/runs/run-changes.ts';
import { RUN_ID_PLACEHOLDER, RunStore, type NewRun } from '../../src/runs/run-store.ts';
import type { AttemptOutcome } from '../../src/runs/types.ts';
import { eventually } from '../support/eventually.ts';
import { testRedis, type TestRedis } from '../support/redis.ts';

const retry = { retries: 0, delaySeconds: 5, exponentialBackoff: true, maxDelaySeconds: 60 };
const ok: AttemptOutcome = { succeeded: true, reason: 'Complete', message: 'Job completed', finishedAt: 1 };

/** a → b */
function chain(overrides: Partial<NewRun> = {}): NewRun {
  return {
    pipelineUuid: 'etl',
    projectDir: '/p',
    trigger: 'manual',
    variables: {},
    executionDate: '2026-11-28T00:00:00.000Z',
    executionPartition: `manual/${RUN_ID_PLACEHOLDER}`,
    blockRunLimit: 0,
    pipelineRunLimit: 0,
    blocks: [
      { blockUuid: 'a', upstream: [], maxAttempts: 1, retry },
      { blockUuid: 'b', upstream: ['a'], maxAttempts: 1, retry },
    ],
    project: {},
    ...overrides,
  };
}

describe('run change feed', () => {
  let t: TestRedis;
  let store: RunStore;
  let clock: number;
  let subscriber: Redis;
  let changes: RunChanges;
  let heard: RunChange[];
  const logger = createLogger('silent', 'run-changes-test');

  beforeEach(async () => {
    t = testRedis();
    clock = 1_000;
    store = new RunStore(t.redis, t.prefix, () => clock);
    subscriber = t.connect();
    changes = await RunChanges.open(subscriber, store.keys.changesChannel, logger);
    heard = [];
    changes.onRunChange((change) => heard.push(change));
  });
  afterEach(async () => {
    changes.close();
    await t.cleanup();
  });

  /**
   * Runs `step` and returns what the feed heard from it. A marker published after the step
   * arrives after every message of the step (one connection publishes in order), so "nothing"
   * is an observation, not a timeout.
   */
  async function heardFrom(step: () => Promise<unknown>): Promise<RunChange[]> {
    heard = [];
    await step();
    const marker = Number.MAX_SAFE_INTEGER;
    await t.redis.publish(store.keys.changesChannel, String(marker));
    await eventually('the marker', () => heard.includes(marker));
    return heard.filter((change) => change !== marker);
  }

  it('hears each transition that changes a run once, and nothing from calls that change nothing', async () => {
    let id = 0;
    const created = await heardFrom(async () => {
      id = await store.createRun(chain());
    });
    expect(created).toEqual([id]);

    expect(await heardFrom(() => store.advanceRun(id))).toEqual([id]);
    expect(await heardFrom(() => store.advanceRun(id))).toEqual([]);
    expect(await heardFrom(() => store.markDispatching(id, 'a', 1))).toEqual([id]);
    expect(await heardFrom(() => store.markRunning(id, 'a', 1, 'job-a', 'ns'))).toEqual([id]);
    expect(await heardFrom(() => store.markDispatching(id, 'a', 1))).toEqual([]);
    expect(await heardFrom(() => store.markRunning(id, 'b', 1, 'job-b', 'ns'))).toEqual([]);
    expect(await heardFrom(() => store.applyAttemptResult(id, 'a', 1, 'succeeded', ok))).toEqual([id]);
    expect(await heardFrom(() => store.applyAttemptResult(id, 'a', 1, 'succeeded', ok))).toEqual([]);
    // Queues b: one message for the call, whatever it changed.
    expect(await heardFrom(() => store.advanceRun(id))).toEqual([id]);
    expect(await heardFrom(() => store.markPassedSla(id))).toEqual([id]);
    expect(await heardFrom(() => store.markPassedSla(id))).toEqual([]);
    const b = await heardFrom(async () => {
      await store.markDispatching(id, 'b', 1);
      await store.markRunning(id, 'b', 1, 'job-b', 'ns');
      await store.applyAttemptResult(id, 'b', 1, 'succeeded', ok);
    });
    expect(b).toEqual([id, id, id]);
    // Finishes the run.
    expect(await heardFrom(() => store.advanceRun(id))).toEqual([id]);
    expect((await store.getRunRecord(id))?.state).toBe('succeeded');
    expect(await heardFrom(() => store.cancelRun(id, 'too late'))).toEqual([]);

    // Pruning: a dry run changes nothing; the real one announces each run it deletes.
    clock = 10_000;
    expect(await heardFrom(() => store.pruneBatch(10_000, 0, 100, true))).toEqual([]);
    let deleted: number[] = [];
    const pruned = await heardFrom(async () => {
      deleted = (await store.pruneBatch(10_000, 0, 100)).deleted;
    });
    expect(deleted).toContain(id);
    expect([...pruned].sort()).toEqual([...deleted].sort());
  });

  it('hears cancelled runs and the waiting runs a pipeline_run_limit lets start', async () => {
    const first = await store.createRun(chain({ pipelineRunLimit: 1 }));
    const waiting = await store.createRun(chain({ pipelineRunLimit: 1 }));
    expect((await store.getRunRecord(waiting))?.state).toBe('waiting');
    expect(await heardFrom(() => store.promoteWaitingRuns('etl'))).toEqual([]);
    expect(await heardFrom(() => store.cancelRun(first, 'stop'))).toEqual([first]);
    expect(await heardFrom(() => store.promoteWaitingRuns('etl'))).toEqual([waiting]);
    expect(await heardFrom(() => store.promoteWaitingRuns('etl'))).toEqual([]);
  });

  it('subscribes again after a reconnect, and then tells listeners that any run may have changed', async () => {
    const name = `${t.prefix}-changes`;
    // As the dashboard opens it (live-runs.ts): ioredis does not subscribe again by itself, the
    // feed does. Named, so that it can be told apart from the test's other connections.
    changes.close();
    subscriber = new Redis(t.url, { maxRetriesPerRequest: null, autoResubscribe: false, connectionName: name });
    changes = await RunChanges.open(subscriber, store.keys.changesChannel, logger);
    heard = [];
    changes.onRunChange((change) => heard.push(change));

    const clients = String(await t.redis.client('LIST'));
    const clientId = /id=(\d+) .*name=(\S+)/.exec(
      clients.split('\n').find((line) => line.includes(`name=${name} `)) ?? '',
    )?.[1];
    expect(clientId).toBeDefined();
    await t.redis.client('KILL', 'ID', clientId!);
    await eventually('the any-run notice after the reconnect', () => heard.includes(ANY_RUN));

    const id = await store.createRun(chain());
    await eventually('a change after the reconnect', () => heard.includes(id));
  });

  it('stops telling a listener once it unsubscribes', async () => {
    const mine: RunChange[] = [];
    const stop = changes.onRunChange((change) => mine.push(change));
    const first = await store.createRun(chain());
    await eventually('the first run', () => mine.includes(first));
    stop();
    const second = await store.createRun(chain());
    await eventually('the second run heard by the other listener', () => heard.includes(second));
    expect(mine).toEqual([first]);
  });
});
