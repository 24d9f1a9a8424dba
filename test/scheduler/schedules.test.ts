import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { Worker } from 'bullmq';
import { removeLegacySchedulers, runSchedulePass, type SchedulePassDeps } from '../../src/scheduler/schedule-pass.ts';
import { readProjectTriggers, type Trigger } from '../../src/project/trigger-file.ts';
import { triggerId } from '../../src/project/trigger-id.ts';
import { slaBreaches } from '../../src/scheduler/trigger-metrics.ts';
import { TriggerState } from '../../src/scheduler/trigger-state.ts';
import { startTriggerWorker, tickIdempotencyKey, triggerRunRequest } from '../../src/scheduler/trigger-worker.ts';
import { createPipelineRun } from '../../src/runs/create-run.ts';
import { retryPipelineRun } from '../../src/runs/retry-run.ts';
import { RunStore } from '../../src/runs/run-store.ts';
import { runKeys } from '../../src/runs/keys.ts';
import type { RunRecord } from '../../src/runs/types.ts';
import { eventually } from '../support/eventually.ts';
import { silentLogger, testCreator, tickFor, useServices, writeProject } from './support.ts';

/** Wednesday 2026-01-14 10:37:42 UTC. */
const NOW = Date.parse('2026-01-14T10:37:42Z');
const DAY_START = Date.parse('2026-01-14T00:00:00Z');

function timeTrigger(name: string, interval: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    schedule_type: 'time',
    schedule_interval: interval,
    start_time: '2026-01-01 00:00:00',
    status: 'active',
    ...extra,
  };
}

describe('trigger schedules', () => {
  const ctx = useServices();
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function setUp(triggers: Record<string, unknown>[], env = 'dev') {
    const written = writeProject({
      etl: { blocks: [{ uuid: 'a' }, { uuid: 'b', upstream: ['a'] }], triggers: { triggers } },
    });
    cleanups.push(() => written.remove());
    const creator = testCreator(ctx.services, written.dir);
    const canceller = {
      store: ctx.services.store,
      blockQueue: ctx.services.blockQueue,
      deleteJob: async () => undefined,
    };
    const state = new TriggerState(ctx.services.redis, ctx.services.prefix);
    const deps: SchedulePassDeps = {
      queue: ctx.services.triggerQueue,
      state,
      store: ctx.services.store,
      canceller,
      env,
      logger: silentLogger,
    };
    const project = readProjectTriggers(written.dir);
    const pass = (now: number) => runSchedulePass(deps, project, now);
    const startWorker = (): Worker => {
      const worker = startTriggerWorker(ctx.t.connect(), ctx.t.prefix, {
        creator,
        canceller,
        state,
        outages: ctx.services.outages,
        logger: silentLogger,
      });
      cleanups.push(() => worker.close());
      return worker;
    };
    const trigger = (name: string): Trigger => project.triggers.find((candidate) => candidate.name === name)!;
    return { deps, project, pass, startWorker, trigger, state, creator };
  }

  const ticks = async () =>
    (await ctx.services.triggerQueue.getJobs(['waiting', 'delayed', 'active', 'completed'])).map((job) => job.data);

  it('adds one tick per execution date, for this env only, and a bad trigger never stops its neighbours', async () => {
    const { pass, project } = setUp([
      timeTrigger('daily', '@daily', { settings: { create_initial_pipeline_run: true }, variables: { n: 1 } }),
      timeTrigger('hourly', '@hourly'),
      timeTrigger('prod_only', '@hourly', { envs: ['prod'] }),
      timeTrigger('broken', '@fortnightly'),
      timeTrigger('off', '@hourly', { status: 'inactive' }),
    ]);
    expect(project.problems).toHaveLength(1);
    const first = await pass(NOW);
    // hourly was first seen enabled at NOW: its 10:00 period began before, and create_initial_pipeline_run is off.
    expect(first.scheduled).toEqual(['etl/daily@2026-01-14T00:00:00.000Z']);
    expect((await pass(NOW + 60_000)).scheduled).toEqual([]);
    expect((await pass(NOW + 3600_000)).scheduled).toEqual(['etl/hourly@2026-01-14T11:00:00.000Z']);
    const daily = (await ticks()).find((tick) => tick.trigger === 'daily')!;
    expect(daily).toMatchObject({
      triggerId: triggerId('etl', 'daily'),
      scheduleType: 'time',
      scheduleInterval: '@daily',
      variables: { n: 1 },
      executionDate: DAY_START,
    });
  });

  it('turns a tick into a run with the RunRequest of the contract, and a replayed tick into the same run', async () => {
    const { startWorker, creator } = setUp([]);
    const worker = startWorker();
    const completed = once(worker, 'completed');
    const tick = tickFor('etl', 'hourly', { variables: { v: 1 } });
    await ctx.services.triggerQueue.add('etl/hourly', tick, { jobId: 't7-1' });
    const [job, runId] = (await completed) as [{ id: string }, number];
    expect(await ctx.services.store.getRun(runId)).toMatchObject({
      pipelineUuid: 'etl',
      trigger: 'hourly',
      variables: { v: 1 },
      state: 'running',
    });
    expect(triggerRunRequest(tick)).toEqual({
      pipelineUuid: 'etl',
      trigger: 'hourly',
      variables: { v: 1 },
      executionDate: new Date(tick.executionDate),
      schedule: { id: 7, scheduleType: 'time', scheduleInterval: '@hourly', variables: { v: 1 } },
      allowBlocksToFail: false,
    });
    const replay = await createPipelineRun(
      creator,
      triggerRunRequest(tick, { idempotencyKey: tickIdempotencyKey(job.id) }),
    );
    expect(replay).toBe(runId);
  });

  it('@once: one run, then the trigger is done', async () => {
    const { pass, startWorker } = setUp([timeTrigger('launch', '@once', { start_time: '2026-01-14 10:40:00' })]);
    expect((await pass(NOW)).scheduled).toEqual([]);
    expect((await pass(NOW + 5 * 60_000)).scheduled).toHaveLength(1);
    expect((await pass(NOW + 10 * 60_000)).scheduled).toEqual([]);
    startWorker();
    await eventually('the @once run', async () => (await ctx.services.store.runIdsNewestFirst(0, 10)).length === 1);
  });

  it('@always_on: relaunches only when no run of the trigger is unfinished', async () => {
    const { pass, startWorker, deps } = setUp([timeTrigger('stream', '@always_on')]);
    startWorker();
    expect((await pass(NOW)).scheduled).toHaveLength(1);
    expect((await pass(NOW + 1)).scheduled).toEqual([]);
    await eventually('the first run', async () => (await ctx.services.store.runIdsNewestFirst(0, 10)).length === 1);
    const [first] = await ctx.services.store.runIdsNewestFirst(0, 10);
    await eventually(
      'the run to be tracked',
      async () => (await deps.state.unfinishedRuns(ctx.services.store, triggerId('etl', 'stream'))).length === 1,
    );
    expect((await pass(NOW + 2)).scheduled).toEqual([]);
    await ctx.services.store.cancelRun(first!, 'stopped');
    expect((await pass(NOW + 3)).scheduled).toHaveLength(1);
  });

  it('@always_on: a retried run of the trigger is unfinished again, so none is launched beside it', async () => {
    const { pass, startWorker, deps } = setUp([timeTrigger('stream', '@always_on')]);
    startWorker();
    const unfinished = async () =>
      (await deps.state.unfinishedRuns(ctx.services.store, triggerId('etl', 'stream'))).map(({ run }) => run.id);
    const onlyRun = () =>
      eventually('one unfinished run', async () => {
        const ids = await unfinished();
        return ids.length === 1 && ids[0];
      });
    expect((await pass(NOW)).scheduled).toHaveLength(1);
    const first = await onlyRun();
    await ctx.services.store.cancelRun(first, 'stopped');
    expect((await pass(NOW + 1)).scheduled).toHaveLength(1);
    const second = await onlyRun();
    await ctx.services.store.cancelRun(second, 'stopped');
    await retryPipelineRun({ store: ctx.services.store, blockQueue: ctx.services.blockQueue }, first);
    expect((await pass(NOW + 2)).scheduled).toEqual([]);
    expect(await unfinished()).toEqual([first]);
  });

  it('@always_on on a pipeline that cannot run: the failed tick is retried after a back-off, not every pass', async () => {
    const written = writeProject({
      bad: {
        blocks: [{ uuid: 'a', executor_type: 'local_python_force' }],
        triggers: { triggers: [timeTrigger('stream', '@always_on')] },
      },
    });
    cleanups.push(() => written.remove());
    const state = new TriggerState(ctx.services.redis, ctx.services.prefix);
    const canceller = {
      store: ctx.services.store,
      blockQueue: ctx.services.blockQueue,
      deleteJob: async () => undefined,
    };
    const deps: SchedulePassDeps = {
      queue: ctx.services.triggerQueue,
      state,
      store: ctx.services.store,
      canceller,
      env: 'dev',
      logger: silentLogger,
    };
    const worker = startTriggerWorker(ctx.t.connect(), ctx.t.prefix, {
      creator: testCreator(ctx.services, written.dir),
      canceller,
      state,
      outages: ctx.services.outages,
      logger: silentLogger,
    });
    cleanups.push(() => worker.close());
    const project = readProjectTriggers(written.dir);
    const failed = once(worker, 'failed');
    const start = Date.now();
    expect((await runSchedulePass(deps, project, start)).scheduled).toHaveLength(1);
    await failed;
    expect((await runSchedulePass(deps, project, start + 60_000)).scheduled).toEqual([]);
    expect((await runSchedulePass(deps, project, start + 6 * 60_000)).scheduled).toHaveLength(1);
    expect(await ctx.services.store.runIdsNewestFirst(0, 10)).toEqual([]);
  });

  it('skip_if_previous_running: the new run is created and cancelled while another is unfinished', async () => {
    const { startWorker } = setUp([]);
    const worker = startWorker();
    const settings = { ...tickFor('etl', 'x').settings, skipIfPreviousRunning: true };
    const done = once(worker, 'completed');
    await ctx.services.triggerQueue.add('etl/x', tickFor('etl', 'x', { settings, executionDate: 1 }), { jobId: 'a' });
    const [, firstId] = (await done) as [unknown, number];
    const again = once(worker, 'completed');
    await ctx.services.triggerQueue.add('etl/x', tickFor('etl', 'x', { settings, executionDate: 2 }), { jobId: 'b' });
    const [, secondId] = (await again) as [unknown, number];
    expect((await ctx.services.store.getRunRecord(firstId))!.state).toBe('running');
    expect(await ctx.services.store.getRunRecord(secondId)).toMatchObject({
      state: 'cancelled',
      reason: expect.stringMatching(/skip_if_previous_running/),
    });
  });

  it('pipeline_run_limit: a tick waits (delayed, no run) while the trigger has that many unfinished runs', async () => {
    const { startWorker } = setUp([]);
    const worker = startWorker();
    const settings = { ...tickFor('etl', 'x').settings, pipelineRunLimit: 1 };
    const done = once(worker, 'completed');
    await ctx.services.triggerQueue.add('etl/x', tickFor('etl', 'x', { settings, executionDate: 1 }), { jobId: 'a' });
    const [, firstId] = (await done) as [unknown, number];
    await ctx.services.triggerQueue.add('etl/x', tickFor('etl', 'x', { settings, executionDate: 2 }), { jobId: 'b' });
    await eventually(
      'the second tick to wait',
      async () => (await ctx.services.triggerQueue.getJobState('b')) === 'delayed',
    );
    expect(await ctx.services.store.runIdsNewestFirst(0, 10)).toEqual([firstId]);
  });

  it('timeout ends a run in timeout_status; sla marks passed_sla once and counts it', async () => {
    // @monthly with an initial run: this month's run is due now and is already past its 60 s SLA.
    const { pass, startWorker, state } = setUp([
      timeTrigger('slow', '@monthly', { sla: 60, settings: { timeout: 600, create_initial_pipeline_run: true } }),
    ]);
    startWorker();
    const count = async () =>
      (await slaBreaches.get()).values.find((value) => value.labels['trigger'] === 'slow')?.value ?? 0;
    const before = await count();
    await pass(Date.now());
    // The worker tracks the run just after creating it.
    await eventually(
      'the tracked run',
      async () => (await state.trackedRuns(ctx.services.store, triggerId('etl', 'slow'))).length === 1,
    );
    const [runId] = await ctx.services.store.runIdsNewestFirst(0, 10);
    const started = (await ctx.services.store.getRunRecord(runId!))!.startedAt!;
    expect((await pass(started + 1000)).passedSla).toEqual([runId]);
    expect((await pass(started + 2000)).passedSla).toEqual([]);
    expect((await ctx.services.store.getRunRecord(runId!))!.passedSla).toBe(true);
    expect(await count()).toBe(before + 1);
    expect((await pass(started + 500_000)).timedOut).toEqual([]);
    expect((await pass(started + 601_000)).timedOut).toEqual([runId]);
    expect(await ctx.services.store.getRun(runId!)).toMatchObject({
      state: 'failed',
      reason: expect.stringMatching(/timed out/),
      blocks: [{ state: 'cancelled' }, { state: 'cancelled' }],
    });
    // Retried, the run is the trigger's again, and its timeout counts from the retry.
    const retriedAt = started + 700_000;
    const store = new RunStore(ctx.services.redis, ctx.services.prefix, () => retriedAt);
    expect(await retryPipelineRun({ store, blockQueue: ctx.services.blockQueue }, runId!)).toMatchObject({
      retried: true,
    });
    expect((await pass(retriedAt + 500_000)).timedOut).toEqual([]);
    expect((await pass(retriedAt + 601_000)).timedOut).toEqual([runId]);
  });

  it("samples a retried run's runtime, for landing time, from its retry", async () => {
    const { state } = setUp([]);
    const run = { id: 7, state: 'succeeded', startedAt: 1_000, retriedAt: 3_600_000, finishedAt: 3_605_000 };
    await state.forgetFinished(42, run as RunRecord);
    expect(await state.recentRuntimes(42)).toEqual([5]);
  });

  it('keeps tracking a run retried between the pass reading it finished and forgetting it', async () => {
    const { state } = setUp([]);
    const { redis, prefix } = ctx.services;
    const runKey = runKeys(prefix).run(99);
    await state.recordRun(42, 99, 1_000);
    // The pass read the run failed; a retry has put it back to running since.
    await redis.set(runKey, JSON.stringify({ id: 99, state: 'running' }));
    await state.forgetFinished(42, { id: 99, state: 'failed' } as RunRecord);
    expect(await redis.zrange(runKeys(prefix).triggerRuns(42), 0, -1)).toEqual(['99']);
    await redis.set(runKey, JSON.stringify({ id: 99, state: 'failed' }));
    await state.forgetFinished(42, { id: 99, state: 'failed' } as RunRecord);
    expect(await redis.zrange(runKeys(prefix).triggerRuns(42), 0, -1)).toEqual([]);
  });

  it('removes the BullMQ job schedulers of earlier versions', async () => {
    await ctx.services.triggerQueue.upsertJobScheduler(
      'etl/hourly',
      { pattern: '0 * * * *' },
      { name: 'etl/hourly', data: tickFor('etl', 'hourly') },
    );
    expect(await removeLegacySchedulers(ctx.services.triggerQueue)).toBe(1);
    expect(await ctx.services.triggerQueue.getJobSchedulers()).toEqual([]);
  });

  it('fails a tick for an invalid pipeline at once, without retrying and without a run', async () => {
    const written = writeProject({ etl: { blocks: [{ uuid: 'a', executor_type: 'local_python_force' }] } });
    cleanups.push(() => written.remove());
    const state = new TriggerState(ctx.services.redis, ctx.services.prefix);
    const canceller = {
      store: ctx.services.store,
      blockQueue: ctx.services.blockQueue,
      deleteJob: async () => undefined,
    };
    const worker = startTriggerWorker(ctx.t.connect(), ctx.t.prefix, {
      creator: testCreator(ctx.services, written.dir),
      canceller,
      state,
      outages: ctx.services.outages,
      logger: silentLogger,
    });
    cleanups.push(() => worker.close());
    const failed = once(worker, 'failed');
    await ctx.services.triggerQueue.add('etl/hourly', tickFor('etl', 'hourly'), { attempts: 3 });
    const [job, error] = (await failed) as [{ attemptsMade: number }, Error];
    expect(error.message).toMatch(/executor type "local_python_force"/);
    expect(job.attemptsMade).toBe(1);
    expect(await ctx.services.store.runIdsNewestFirst(0, 10)).toEqual([]);
  });
});
