import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunStore, type NewRun } from '../../src/runs/run-store.ts';
import { newRun } from '../support/new-run.ts';
import { OutcomeWaiter } from '../../src/runs/outcome-waiter.ts';
import type { AttemptOutcome } from '../../src/runs/types.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { testRedis, type TestRedis } from '../support/redis.ts';

function retry(retries: number) {
  return { retries, delaySeconds: 5, exponentialBackoff: true, maxDelaySeconds: 60 };
}

// a → (b, c) → d ; e independent
function diamond(overrides: Partial<NewRun> = {}): NewRun {
  return newRun(
    [
      { blockUuid: 'a', upstream: [], maxAttempts: 1, retry: retry(0) },
      { blockUuid: 'b', upstream: ['a'], maxAttempts: 2, retry: retry(1) },
      { blockUuid: 'c', upstream: ['a'], maxAttempts: 1, retry: retry(0) },
      { blockUuid: 'd', upstream: ['b', 'c'], maxAttempts: 1, retry: retry(0) },
      { blockUuid: 'e', upstream: [], maxAttempts: 1, retry: retry(0) },
    ],
    { trigger: 'manual', variables: { day: '2026-11-28' }, ...overrides },
  );
}

const ok: AttemptOutcome = { succeeded: true, reason: 'Complete', message: 'Job completed', finishedAt: 1 };
const bad: AttemptOutcome = {
  succeeded: false,
  reason: 'BackoffLimitExceeded',
  message: 'Job has reached the specified backoff limit',
  exitCode: 3,
  logTail: ['boom'],
  events: [],
  finishedAt: 2,
};

describe('RunStore', () => {
  let t: TestRedis;
  let store: RunStore;
  let clock: number;

  beforeEach(() => {
    t = testRedis();
    clock = 1_000;
    store = new RunStore(t.redis, t.prefix, () => clock);
  });
  afterEach(() => t.cleanup());

  async function finish(
    runId: number,
    block: string,
    state: 'succeeded' | 'condition_failed' | 'failed' | 'retrying',
    outcome = state === 'failed' || state === 'retrying' ? bad : ok,
  ) {
    const record = (await store.getBlock(runId, block))!;
    const attempt = record.attempt + (record.state === 'queued' || record.state === 'retrying' ? 1 : 0);
    expect(await store.markDispatching(runId, block, attempt)).toBe('ok');
    expect(await store.markRunning(runId, block, attempt, `job-${block}-${attempt}`, 'ns')).toBe(true);
    expect(await store.applyAttemptResult(runId, block, attempt, state, outcome)).toBe(true);
    return store.advanceRun(runId);
  }

  it('allocates unique, increasing ids and stores the project snapshot', async () => {
    const first = await store.createRun(diamond());
    const second = await store.createRun(diamond());
    expect(second).toBe(first + 1);
    const a = await store.getRun(first);
    const b = await store.getRun(second);
    const ids = [...a!.blocks, ...b!.blocks].map((x) => x.blockRunId);
    expect(new Set(ids).size).toBe(10);
    expect(a!.blocks.map((x) => x.blockUuid)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(a!.variables).toEqual({ day: '2026-11-28' });
    expect(await store.getProjectSnapshot(first)).toEqual({ root: '/p' });
    expect(a!.blocks[0]!.upstream).toEqual([]);
    expect(a!.blocks[1]!.retry).toEqual(retry(1));
  });

  it("fills the run's id into its partition and keeps JSON inputs exact through every Lua transition", async () => {
    const variables = { list: [], deep: { empty: [], pi: Math.PI } };
    const id = await store.createRun(
      diamond({
        variables,
        eventVariables: { e: [] },
        schedule: { id: 4, scheduleType: 'api', scheduleInterval: null, variables: { t: [] } },
      }),
    );
    await store.advanceRun(id);
    await store.cancelRun(id, 'test');
    const run = (await store.getRunRecord(id))!;
    expect(run.executionPartition).toBe(`manual/20261128T000000_000000_${id}`);
    expect(JSON.stringify([run.variables, run.eventVariables, run.schedule])).toBe(
      JSON.stringify([
        variables,
        { e: [] },
        { id: 4, scheduleType: 'api', scheduleInterval: null, variables: { t: [] } },
      ]),
    );
    expect(run).not.toHaveProperty('inputsJson');
  });

  it('reads runs stored before the inputs were kept as JSON text', async () => {
    await t.redis.set(
      `${t.prefix}:run:900`,
      JSON.stringify({
        id: 900,
        pipelineUuid: 'etl',
        projectDir: '/p',
        trigger: '',
        variables: { day: 'x' },
        state: 'succeeded',
        createdAt: 1,
        blockRunLimit: 0,
        pipelineRunLimit: 0,
      }),
    );
    expect(await store.getRunRecord(900)).toMatchObject({ id: 900, variables: { day: 'x' } });
  });

  it('is idempotent for the same idempotency key', async () => {
    const first = await store.createRun(diamond({ idempotencyKey: 'tick-1' }));
    const again = await store.createRun(diamond({ idempotencyKey: 'tick-1' }));
    expect(again).toBe(first);
    expect(await store.runIdsNewestFirst(0, 10)).toEqual([first]);
  });

  it('enqueues blocks when all their upstreams succeeded, and finishes the run', async () => {
    const id = await store.createRun(diamond());
    const start = await store.advanceRun(id);
    expect(start.enqueue.map((b) => b.blockUuid)).toEqual(['a', 'e']);
    expect((await finish(id, 'a', 'succeeded')).enqueue.map((b) => b.blockUuid)).toEqual(['b', 'c']);
    await finish(id, 'e', 'succeeded');
    await finish(id, 'b', 'succeeded');
    const afterC = await finish(id, 'c', 'succeeded');
    expect(afterC.enqueue.map((b) => b.blockUuid)).toEqual(['d']);
    const done = await finish(id, 'd', 'succeeded');
    expect(done.finished).toBe('succeeded');
    expect((await store.getRun(id))!.state).toBe('succeeded');
    expect(await store.activeRunIds()).toEqual([]);
  });

  it('marks downstream blocks upstream_failed and fails the run once running blocks finish', async () => {
    const id = await store.createRun(diamond());
    await store.advanceRun(id);
    await finish(id, 'a', 'succeeded');
    const afterB = await finish(id, 'b', 'failed');
    expect(afterB.finished).toBe('');
    expect((await store.getBlock(id, 'd'))!.state).toBe('upstream_failed');
    await finish(id, 'c', 'succeeded');
    const last = await finish(id, 'e', 'succeeded');
    expect(last.finished).toBe('failed');
    const run = (await store.getRun(id))!;
    const b = run.blocks.find((x) => x.blockUuid === 'b')!;
    expect(b).toMatchObject({ state: 'failed', reason: 'BackoffLimitExceeded', exitCode: 3, logTail: ['boom'] });
    expect(b.attempts).toHaveLength(1);
  });

  describe('condition_failed (Mage reported a failed condition)', () => {
    it('marks every downstream block of the diamond condition_failed, and the run succeeds', async () => {
      const id = await store.createRun(diamond());
      await store.advanceRun(id);
      const afterA = await finish(id, 'a', 'condition_failed');
      // Neither b nor c (nor d) is ever enqueued: they are done, as in Mage's update_block_run_statuses.
      expect(afterA.enqueue).toEqual([]);
      const run = (await store.getRun(id))!;
      expect(run.blocks.map((b) => [b.blockUuid, b.state, b.reason])).toEqual([
        ['a', 'condition_failed', 'Complete'],
        ['b', 'condition_failed', 'UpstreamConditionFailed'],
        ['c', 'condition_failed', 'UpstreamConditionFailed'],
        ['d', 'condition_failed', 'UpstreamConditionFailed'],
        ['e', 'queued', undefined],
      ]);
      expect(run.blocks.slice(1, 4).every((b) => b.attempt === 0 && b.finishedAt === clock)).toBe(true);
      const last = await finish(id, 'e', 'succeeded');
      expect(last.finished).toBe('succeeded');
      expect((await store.getRun(id))!).toMatchObject({ state: 'succeeded' });
      expect((await store.getRun(id))!.reason).toBeUndefined();
    });

    it('one branch condition_failed: the join is condition_failed, the other branch still runs', async () => {
      const id = await store.createRun(diamond());
      await store.advanceRun(id);
      await finish(id, 'a', 'succeeded');
      await finish(id, 'b', 'condition_failed');
      // d is settled as soon as one upstream's condition failed, while c still runs (Mage: any upstream).
      expect((await store.getBlock(id, 'd'))!.state).toBe('condition_failed');
      expect((await store.getBlock(id, 'c'))!.state).toBe('queued');
      await finish(id, 'c', 'succeeded');
      expect((await finish(id, 'e', 'succeeded')).finished).toBe('succeeded');
    });

    it('a failed upstream wins over a condition_failed one (upstream_failed), and the run fails', async () => {
      const id = await store.createRun(diamond());
      await store.advanceRun(id);
      await finish(id, 'a', 'succeeded');
      // Both settle before d is looked at: advance only after both.
      await store.markDispatching(id, 'b', 1);
      await store.markRunning(id, 'b', 1, 'job-b-1', 'ns');
      await store.applyAttemptResult(id, 'b', 1, 'condition_failed', ok);
      await store.markDispatching(id, 'c', 1);
      await store.markRunning(id, 'c', 1, 'job-c-1', 'ns');
      await store.applyAttemptResult(id, 'c', 1, 'failed', bad);
      await store.advanceRun(id);
      expect((await store.getBlock(id, 'd'))!).toMatchObject({ state: 'upstream_failed', reason: 'UpstreamFailed' });
      expect((await finish(id, 'e', 'succeeded')).finished).toBe('failed');
    });

    it('is terminal: a later attempt result, a dispatch or a cancel leaves it alone', async () => {
      const id = await store.createRun(diamond());
      await store.advanceRun(id);
      await finish(id, 'a', 'condition_failed');
      expect(await store.applyAttemptResult(id, 'a', 1, 'failed', bad)).toBe(false);
      expect(await store.markDispatching(id, 'b', 1)).toBe('terminal');
      await store.cancelRun(id, 'stop');
      const run = (await store.getRun(id))!;
      expect(run.blocks.map((x) => x.state)).toEqual([
        'condition_failed',
        'condition_failed',
        'condition_failed',
        'condition_failed',
        'cancelled',
      ]);
    });
  });

  it('keeps a retrying block in flight and gives the next attempt its own record', async () => {
    const id = await store.createRun(diamond());
    await store.advanceRun(id);
    await finish(id, 'a', 'succeeded');
    await finish(id, 'b', 'retrying');
    expect((await store.getBlock(id, 'b'))!.state).toBe('retrying');
    expect((await store.advanceRun(id)).finished).toBe('');
    await finish(id, 'b', 'succeeded');
    const b = (await store.getBlock(id, 'b'))!;
    expect(b.state).toBe('succeeded');
    expect(b.attempts.map((x) => [x.attempt, x.jobName, x.outcome?.reason])).toEqual([
      [1, 'job-b-1', 'BackoffLimitExceeded'],
      [2, 'job-b-2', 'Complete'],
    ]);
  });

  it('applies an outcome once and ignores stale attempts', async () => {
    const id = await store.createRun(diamond());
    await store.advanceRun(id);
    await store.markDispatching(id, 'a', 1);
    await store.markRunning(id, 'a', 1, 'job-a', 'ns');
    expect(await store.applyAttemptResult(id, 'a', 1, 'succeeded', ok)).toBe(true);
    expect(await store.applyAttemptResult(id, 'a', 1, 'failed', bad)).toBe(false);
    expect(await store.applyAttemptResult(id, 'e', 7, 'failed', bad)).toBe(false);
    expect((await store.getBlock(id, 'a'))!.state).toBe('succeeded');
  });

  it('lists active attempts until their outcome is applied', async () => {
    const id = await store.createRun(diamond());
    await store.advanceRun(id);
    await store.markDispatching(id, 'a', 1);
    await store.markRunning(id, 'a', 1, 'job-a', 'team');
    const block = (await store.getBlock(id, 'a'))!;
    expect(await store.activeAttempts()).toEqual([
      {
        runId: id,
        blockUuid: 'a',
        blockRunId: block.blockRunId,
        attempt: 1,
        namespace: 'team',
        jobName: 'job-a',
        since: 1000,
      },
    ]);
    await store.applyAttemptResult(id, 'a', 1, 'succeeded', ok);
    expect(await store.activeAttempts()).toEqual([]);
  });

  it('reports each queued block once, and in a repair again until it is confirmed enqueued', async () => {
    const id = await store.createRun(diamond());
    expect((await store.advanceRun(id)).enqueue.map((b) => b.blockUuid)).toEqual(['a', 'e']);
    expect((await store.advanceRun(id)).enqueue).toEqual([]);
    // The caller died before adding them to the queue: the sweep's repair finds them.
    expect((await store.advanceRun(id, { repair: true })).enqueue.map((b) => b.blockUuid)).toEqual(['a', 'e']);
    await store.confirmEnqueued(id, ['a']);
    expect((await store.advanceRun(id, { repair: true })).enqueue.map((b) => b.blockUuid)).toEqual(['e']);
    // A block taken by a dispatcher is no longer queued, confirmed or not.
    await store.markDispatching(id, 'e', 1);
    expect((await store.advanceRun(id, { repair: true })).enqueue).toEqual([]);
  });

  it('honours block_run_limit, queueing held blocks in block run order as others end', async () => {
    const id = await store.createRun(diamond({ blockRunLimit: 1 }));
    expect((await store.advanceRun(id)).enqueue.map((b) => b.blockUuid)).toEqual(['a']);
    const after = await finish(id, 'a', 'succeeded');
    expect(after.enqueue.map((b) => b.blockUuid)).toEqual(['b']);
    // A retrying block still counts against the limit.
    expect((await finish(id, 'b', 'retrying')).enqueue).toEqual([]);
    expect((await finish(id, 'b', 'succeeded')).enqueue.map((b) => b.blockUuid)).toEqual(['c']);
    expect((await finish(id, 'c', 'succeeded')).enqueue.map((b) => b.blockUuid)).toEqual(['d']);
    expect((await finish(id, 'd', 'succeeded')).enqueue.map((b) => b.blockUuid)).toEqual(['e']);
    expect((await finish(id, 'e', 'succeeded')).finished).toBe('succeeded');
  });

  it('moves on a run stored before its indexes existed, from the states its blocks are in', async () => {
    const id = await store.createRun(diamond());
    await store.advanceRun(id);
    await finish(id, 'a', 'succeeded');
    await store.markDispatching(id, 'b', 1);
    await store.markRunning(id, 'b', 1, 'job-b-1', 'ns');
    await store.applyAttemptResult(id, 'b', 1, 'failed', bad);
    // As an older version left it: no indexes, b failed but not yet advanced, c and e queued.
    const run = `${t.prefix}:run:${id}`;
    await t.redis.del(
      ...['progress', 'downstream', 'unmet', 'ready', 'settled', 'unannounced'].map((name) => `${run}:${name}`),
    );
    const rebuilt = await store.advanceRun(id);
    expect(rebuilt.enqueue.map((b) => b.blockUuid)).toEqual([]);
    expect((await store.getBlock(id, 'd'))!.state).toBe('upstream_failed');
    expect((await store.advanceRun(id, { repair: true })).enqueue.map((b) => b.blockUuid)).toEqual(['c', 'e']);
    await finish(id, 'c', 'succeeded');
    expect((await finish(id, 'e', 'succeeded')).finished).toBe('failed');
  });

  it('counts an upstream block the run does not have as failed', async () => {
    const id = await store.createRun(
      diamond({ blocks: [{ blockUuid: 'x', upstream: ['gone'], maxAttempts: 1, retry: retry(0) }] }),
    );
    const result = await store.advanceRun(id);
    expect(result).toMatchObject({ enqueue: [], finished: 'failed' });
    expect((await store.getBlock(id, 'x'))!).toMatchObject({ state: 'upstream_failed', reason: 'UpstreamFailed' });
  });

  it('holds runs beyond pipeline_run_limit until a slot frees', async () => {
    const single = diamond({
      pipelineRunLimit: 1,
      blocks: [{ blockUuid: 'a', upstream: [], maxAttempts: 1, retry: retry(0) }],
    });
    const first = await store.createRun(single);
    const second = await store.createRun(single);
    expect((await store.getRunRecord(second))!.state).toBe('waiting');
    expect(await store.promoteWaitingRuns('etl')).toEqual([]);
    await store.advanceRun(first);
    expect((await finish(first, 'a', 'succeeded')).finished).toBe('succeeded');
    expect(await store.promoteWaitingRuns('etl')).toEqual([second]);
    expect((await store.getRunRecord(second))!.state).toBe('running');
    expect((await store.advanceRun(second)).enqueue.map((b) => b.blockUuid)).toEqual(['a']);
  });

  it('cancels a run, reporting the attempts whose Jobs must go, and refuses further dispatch', async () => {
    const id = await store.createRun(diamond());
    await store.advanceRun(id);
    await store.markDispatching(id, 'a', 1);
    await store.markRunning(id, 'a', 1, 'job-a', 'ns');
    const result = await store.cancelRun(id, 'cancelled by alice');
    expect(result.cancelled).toBe(true);
    // Every block it cancelled, with its go: only a's made an attempt, whose Job must go.
    expect(result.blocks.map((block) => [block.blockUuid, block.attempt, block.jobName])).toEqual(
      expect.arrayContaining([
        ['a', 1, 'job-a'],
        ['e', 0, ''],
      ]),
    );
    expect(result.blocks.find((block) => block.blockUuid === 'a')).toEqual({
      blockUuid: 'a',
      blockRunId: expect.any(Number),
      attempt: 1,
      attemptBase: 0,
      generation: 0,
      jobName: 'job-a',
      namespace: 'ns',
    });
    const run = (await store.getRun(id))!;
    expect(run.state).toBe('cancelled');
    expect(run.blocks.every((b) => b.state === 'cancelled')).toBe(true);
    expect(await store.markDispatching(id, 'e', 1)).toBe('cancelled');
    expect(await store.markRunning(id, 'a', 1, 'job-a', 'ns')).toBe(false);
    expect((await store.cancelRun(id, 'again')).cancelled).toBe(false);
    expect(await store.activeAttempts()).toEqual([]);
  });

  it('keeps the Job of an attempt that is re-dispatched after a dispatcher died', async () => {
    const id = await store.createRun(diamond());
    await store.advanceRun(id);
    await store.markDispatching(id, 'a', 1);
    await store.markRunning(id, 'a', 1, 'job-a', 'ns');
    expect(await store.markDispatching(id, 'a', 1)).toBe('ok');
    expect((await store.getBlock(id, 'a'))!).toMatchObject({ state: 'running', jobName: 'job-a' });
  });

  it('records outcomes first-writer-wins and wakes waiters', async () => {
    const waiter = new OutcomeWaiter(store, t.connect(), createLogger('silent', 'test'), 60_000);
    await waiter.start();
    const pending = waiter.wait({ blockRunId: 42, attempt: 1 });
    expect(await store.recordOutcome({ blockRunId: 42, attempt: 1 }, bad)).toBe(true);
    expect(await store.recordOutcome({ blockRunId: 42, attempt: 1 }, ok)).toBe(false);
    const epoch = await store.epoch();
    expect(await pending).toEqual({ ...bad, epoch });
    // An outcome recorded before anyone waits is returned at once.
    await store.recordOutcome({ blockRunId: 43, attempt: 2 }, ok);
    expect(await waiter.wait({ blockRunId: 43, attempt: 2 })).toEqual({ ...ok, epoch });
    expect(waiter.size).toBe(0);
    await waiter.stop();
  });
});
