import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunServices } from '../../src/runs/run-services.ts';
import { eventually } from '../support/eventually.ts';
import { testRedis, type TestRedis } from '../support/redis.ts';
import { testServices, tickFor, writeProject } from './support.ts';

const TICKS = 150;

describe('scheduler process killed with SIGKILL', () => {
  let t: TestRedis;
  let services: RunServices;
  const project = writeProject({ etl: { blocks: [{ uuid: 'a' }, { uuid: 'b', upstream: ['a'] }, { uuid: 'c' }] } });
  const children: ChildProcess[] = [];

  beforeEach(() => {
    t = testRedis();
    services = testServices(t);
  });
  afterEach(async () => {
    for (const child of children.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await services.close();
    await t.cleanup();
  });

  function startScheduler(): ChildProcess {
    const child = spawn(process.execPath, ['workers/scheduler.ts'], {
      env: {
        PATH: process.env['PATH'],
        REDIS_URL: t.url,
        KUBEDISPATCH_QUEUE_PREFIX: t.prefix,
        KUBEDISPATCH_PROJECT_DIR: project.dir,
        KUBEDISPATCH_SCHEDULER_SWEEP_INTERVAL_MS: '100',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    return child;
  }

  const runCount = () => t.redis.zcard(`${t.prefix}:runs:all`);

  it('leaves no duplicate and no half run, and the restarted scheduler finishes every tick', {
    timeout: 90_000,
  }, async () => {
    await services.triggerQueue.addBulk(
      Array.from({ length: TICKS }, (_, index) => ({
        name: 'etl/hourly',
        data: tickFor('etl', 'hourly', { executionDate: Date.UTC(2026, 0, 1, index) }),
        opts: { jobId: `tick-${index}` },
      })),
    );
    const first = startScheduler();
    await eventually('the first runs', async () => (await runCount()) >= 20, 30_000);
    first.kill('SIGKILL');
    await once(first, 'exit');
    const atKill = await runCount();
    expect(atKill).toBeLessThan(TICKS);

    const second = startScheduler();
    await eventually(
      'every tick to complete',
      async () => (await services.triggerQueue.getJobCounts('completed')).completed === TICKS,
      60_000,
    );
    await eventually(
      'every run to be enqueued',
      async () => (await services.blockQueue.getJobCounts('waiting')).waiting === 2 * TICKS,
      10_000,
    );

    const runIds = await services.store.runIdsNewestFirst(0, TICKS * 2);
    expect(runIds).toHaveLength(TICKS);
    const keyed = await t.redis.keys(`${t.prefix}:run-key:tick:*`);
    expect(keyed).toHaveLength(TICKS);
    expect(new Set(await t.redis.mget(keyed)).size).toBe(TICKS);
    for (const runId of runIds) {
      const run = (await services.store.getRun(runId))!;
      expect(run.blocks.map((block) => [block.blockUuid, block.state])).toEqual([
        ['a', 'queued'],
        ['c', 'queued'],
        ['b', 'pending'],
      ]);
    }

    second.kill('SIGTERM');
    const [code] = await once(second, 'exit');
    expect(code).toBe(0);
  });
});
