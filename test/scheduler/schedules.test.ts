import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { syncSchedules } from '../../src/scheduler/schedule-sync.ts';
import { readProjectTriggers, type ProjectTriggers, type TimeTrigger } from '../../src/scheduler/trigger-file.ts';
import { startTriggerWorker, tickIdempotencyKey } from '../../src/scheduler/trigger-worker.ts';
import { createPipelineRun } from '../../src/scheduler/create-run.ts';
import { silentLogger, testCreator, useServices, writeProject } from './support.ts';

function trigger(name: string, overrides: Partial<TimeTrigger> = {}): TimeTrigger {
  return { pipelineUuid: 'etl', name, schedule: { kind: 'cron', pattern: '0 * * * *' }, active: true, variables: {}, file: 'triggers.yaml', ...overrides };
}

function project(triggers: TimeTrigger[], unreadable: string[] = []): ProjectTriggers {
  return { triggers, unreadable, problems: [] };
}

describe('schedules', () => {
  const ctx = useServices();

  async function schedulerIds(): Promise<string[]> {
    return (await ctx.services.triggerQueue.getJobSchedulers(0, -1)).map((scheduler) => scheduler.key).sort();
  }

  it('upserts active triggers once, updates changed ones and removes inactive or deleted ones', async () => {
    const first = await syncSchedules(ctx.services.triggerQueue, project([trigger('hourly'), trigger('daily', { schedule: { kind: 'cron', pattern: '0 0 * * *' } }), trigger('off', { active: false })]));
    expect(first).toEqual({ upserted: ['etl/hourly', 'etl/daily'], removed: [], failed: [] });
    expect(await schedulerIds()).toEqual(['etl/daily', 'etl/hourly']);
    const scheduler = await ctx.services.triggerQueue.getJobScheduler('etl/hourly');
    expect(scheduler).toMatchObject({ pattern: '0 * * * *', tz: 'UTC', template: { data: { pipelineUuid: 'etl', trigger: 'hourly', variables: {} } } });

    expect(await syncSchedules(ctx.services.triggerQueue, project([trigger('hourly'), trigger('daily', { schedule: { kind: 'cron', pattern: '0 0 * * *' } })]))).toEqual({ upserted: [], removed: [], failed: [] });

    const changed = await syncSchedules(ctx.services.triggerQueue, project([trigger('hourly', { variables: { x: '1' } }), trigger('daily', { active: false })]));
    expect(changed).toEqual({ upserted: ['etl/hourly'], removed: ['etl/daily'], failed: [] });
    expect((await ctx.services.triggerQueue.getJobScheduler('etl/hourly'))?.template?.data?.variables).toEqual({ x: '1' });
    expect((await ctx.services.triggerQueue.getDelayed()).map((job) => job.repeatJobKey)).toEqual(['etl/hourly']);

    expect(await syncSchedules(ctx.services.triggerQueue, project([]))).toEqual({ upserted: [], removed: ['etl/hourly'], failed: [] });
    expect(await schedulerIds()).toEqual([]);
  });

  it('does not re-upsert unchanged triggers with a start time, past or future', async () => {
    const triggers = [trigger('past', { startTime: Date.UTC(2026, 0, 1) }), trigger('future', { startTime: Date.UTC(2099, 0, 1) })];
    expect((await syncSchedules(ctx.services.triggerQueue, project(triggers))).upserted).toEqual(['etl/past', 'etl/future']);
    expect((await syncSchedules(ctx.services.triggerQueue, project(triggers))).upserted).toEqual([]);
    const future = (await ctx.services.triggerQueue.getDelayed()).find((job) => job.repeatJobKey === 'etl/future')!;
    expect(future.timestamp + future.delay).toBeGreaterThanOrEqual(Date.UTC(2099, 0, 1));
  });

  it('reports a trigger BullMQ refuses and still syncs the others', async () => {
    const result = await syncSchedules(ctx.services.triggerQueue, project([trigger('bad', { schedule: { kind: 'cron', pattern: '99 * * * *' } }), trigger('good')]));
    expect(result.upserted).toEqual(['etl/good']);
    expect(result.failed).toEqual([{ id: 'etl/bad', message: expect.stringMatching(/^triggers\.yaml: /) }]);
    expect(await schedulerIds()).toEqual(['etl/good']);
  });

  it('keeps the schedules of a pipeline whose triggers.yaml cannot be read', async () => {
    await syncSchedules(ctx.services.triggerQueue, project([trigger('hourly')]));
    expect(await syncSchedules(ctx.services.triggerQueue, project([], ['etl']))).toEqual({ upserted: [], removed: [], failed: [] });
    expect(await schedulerIds()).toEqual(['etl/hourly']);
  });

  it('schedules @once as one delayed job that re-syncing never duplicates, and removes it when the trigger goes', async () => {
    const now = Date.UTC(2026, 0, 1);
    const once = trigger('launch', { schedule: { kind: 'once' }, startTime: now + 60_000 });
    expect((await syncSchedules(ctx.services.triggerQueue, project([once]), now)).upserted).toEqual(['etl/launch']);
    expect((await syncSchedules(ctx.services.triggerQueue, project([once]), now)).upserted).toEqual([]);
    const delayed = await ctx.services.triggerQueue.getDelayed();
    expect(delayed.map((job) => job.data.trigger)).toEqual(['launch']);
    expect((await syncSchedules(ctx.services.triggerQueue, project([]), now)).removed).toEqual(['etl/launch']);
    expect(await ctx.services.triggerQueue.getDelayed()).toEqual([]);
  });

  it('syncs the triggers of a project on disk', async () => {
    const written = writeProject({ etl: { blocks: [{ uuid: 'a' }], triggers: { triggers: [{ name: 'hourly', schedule_type: 'time', schedule_interval: '@hourly', status: 'active' }] } } });
    try {
      await syncSchedules(ctx.services.triggerQueue, readProjectTriggers(written.dir));
      expect(await schedulerIds()).toEqual(['etl/hourly']);
    } finally {
      written.remove();
    }
  });

  it('turns a tick into one run, and a replayed tick into the same run', async () => {
    const written = writeProject({ etl: { blocks: [{ uuid: 'a' }, { uuid: 'b', upstream: ['a'] }] } });
    const creator = testCreator(ctx.services, written.dir);
    const worker = startTriggerWorker(ctx.t.connect(), ctx.t.prefix, creator, ctx.services.outages, silentLogger);
    try {
      const completed = once(worker, 'completed');
      await ctx.services.triggerQueue.add('etl/hourly', { pipelineUuid: 'etl', trigger: 'hourly', variables: { v: '1' } }, { jobId: 'repeat-etl-hourly-1000' });
      const [job, runId] = (await completed) as [{ id: string }, number];
      const run = (await ctx.services.store.getRun(runId))!;
      expect(run).toMatchObject({ pipelineUuid: 'etl', trigger: 'hourly', variables: { v: '1' }, state: 'running' });
      // A scheduler killed after creating the run but before completing the tick processes it again.
      const replay = await createPipelineRun(creator, { pipelineUuid: 'etl', trigger: 'hourly', variables: { v: '1' }, idempotencyKey: tickIdempotencyKey(job.id) });
      expect(replay).toBe(runId);
      expect(await ctx.services.store.recentRunIds(10)).toEqual([runId]);
    } finally {
      await worker.close();
      written.remove();
    }
  });

  it('fails a tick for an invalid pipeline at once, without retrying and without a run', async () => {
    const written = writeProject({ etl: { blocks: [{ uuid: 'a', executor_type: 'local_python_force' }] } });
    const worker = startTriggerWorker(ctx.t.connect(), ctx.t.prefix, testCreator(ctx.services, written.dir), ctx.services.outages, silentLogger);
    try {
      const failed = once(worker, 'failed');
      await ctx.services.triggerQueue.add('etl/hourly', { pipelineUuid: 'etl', trigger: 'hourly', variables: {} }, { attempts: 3 });
      const [job, error] = (await failed) as [{ attemptsMade: number }, Error];
      expect(error.message).toMatch(/executor type "local_python_force"/);
      expect(job.attemptsMade).toBe(1);
      expect(await ctx.services.store.recentRunIds(10)).toEqual([]);
    } finally {
      await worker.close();
      written.remove();
    }
  });
});
