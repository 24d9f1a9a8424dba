import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pruneFinishedRuns } from '../../src/runs/retention.ts';
import { RunStore, type NewRun } from '../../src/runs/run-store.ts';
import { testRedis, type TestRedis } from '../support/redis.ts';

const root = join(import.meta.dirname, '../..');
const DAY = 24 * 3600 * 1000;
const retry = { retries: 0, delaySeconds: 0, exponentialBackoff: false, maxDelaySeconds: 0 };

function oneBlock(idempotencyKey?: string): NewRun {
  return {
    pipelineUuid: 'etl',
    projectDir: '/p',
    trigger: 'manual',
    executionDate: new Date(0).toISOString(),
    executionPartition: 'manual/19700101T000000_000000_{pipeline_run_id}',
    variables: {},
    blockRunLimit: 0,
    pipelineRunLimit: 0,
    blocks: [{ blockUuid: 'a', upstream: [], maxAttempts: 1, retry }],
    project: { root: '/p' },
    ...(idempotencyKey ? { idempotencyKey } : {}),
  };
}

describe('retention of finished runs', () => {
  let t: TestRedis;
  let store: RunStore;
  let clock: number;

  beforeEach(() => {
    t = testRedis();
    clock = 100 * DAY;
    store = new RunStore(t.redis, t.prefix, () => clock);
  });
  afterEach(() => t.cleanup());

  /** Creates a one-block run and, unless `finish` is false, runs its block to success at the current clock. */
  async function run(options: { finish?: boolean; idempotencyKey?: string } = {}): Promise<number> {
    const id = await store.createRun(oneBlock(options.idempotencyKey));
    await store.advanceRun(id);
    if (options.finish === false) return id;
    const block = (await store.getBlock(id, 'a'))!;
    await store.markDispatching(id, 'a', 1);
    await store.markRunning(id, 'a', 1, `job-${id}`, 'ns');
    const outcome = { succeeded: true, reason: 'Complete', message: 'done', finishedAt: clock };
    await store.recordOutcome({ blockRunId: block.blockRunId, attempt: 1 }, outcome);
    await store.applyAttemptResult(id, 'a', 1, 'succeeded', outcome);
    expect((await store.advanceRun(id)).finished).toBe('succeeded');
    return id;
  }

  /** Run ids with a record, and run ids in the index: retention keeps them equal. */
  async function recordsAndIndex(): Promise<{ records: number[]; index: number[]; owned: string[] }> {
    const keys = await t.redis.keys(`${t.prefix}:*`);
    const records = keys
      .filter((key) => /:run:\d+$/.test(key))
      .map((key) => Number(key.split(':').at(-1)))
      .sort((a, b) => a - b);
    const index = (await t.redis.zrange(`${t.prefix}:runs:all`, 0, -1)).map(Number).sort((a, b) => a - b);
    const owned = keys.filter((key) => /:run:\d+:(blocks|project)$|:outcome:|:run-key:/.test(key)).sort();
    return { records, index, owned };
  }

  it('deletes finished runs past the retention with all they own, keeps younger and unfinished ones, and keeps the index consistent', async () => {
    const old = await run({ idempotencyKey: 'http:old' });
    const oldBlock = (await store.getBlock(old, 'a'))!;
    const stillRunning = await run({ finish: false });
    clock += 20 * DAY;
    const young = await run({ idempotencyKey: 'http:young' });
    // An index entry whose record is already gone (e.g. deleted by hand) is dropped as well.
    await t.redis.zadd(`${t.prefix}:runs:all`, 1, 424242);
    clock += 15 * DAY;

    const dry = await pruneFinishedRuns(store, { olderThanMs: 30 * DAY, now: clock, dryRun: true });
    expect(dry).toMatchObject({ deleted: 2, total: 3 });
    expect((await recordsAndIndex()).index).toEqual([424242, old, stillRunning, young].sort((a, b) => a - b));

    const progress: number[] = [];
    const done = await pruneFinishedRuns(store, {
      olderThanMs: 30 * DAY,
      now: clock,
      batchSize: 1,
      progress: (p) => progress.push(p.scanned),
    });
    expect(done.deleted).toBe(2);
    expect(progress.at(-1)).toBe(done.scanned);
    expect(await store.getRun(old)).toBeUndefined();
    expect(await store.getProjectSnapshot(old)).toBeUndefined();
    expect(await t.redis.exists(`${t.prefix}:outcome:${oldBlock.blockRunId}:1`, `${t.prefix}:run-key:http:old`)).toBe(
      0,
    );
    // The old idempotency key is free again: a request with it creates a new run.
    expect(await store.createRun(oneBlock('http:old'))).not.toBe(old);
    const after = await recordsAndIndex();
    expect(after.records).toEqual(after.index);
    expect(after.index).toEqual(expect.arrayContaining([stillRunning, young]));
    expect(after.index).not.toContain(old);
    expect(after.owned.some((key) => key.includes(`:run:${old}:`))).toBe(false);
    expect(await store.getRun(young)).toMatchObject({ state: 'succeeded' });
  });

  it('kubedispatch prune deletes at once, with --dry-run counting only', async () => {
    const first = await run();
    const second = await run();
    const env = {
      REDIS_URL: t.url,
      KUBEDISPATCH_QUEUE_PREFIX: t.prefix,
      LOG_LEVEL: 'silent',
      PATH: process.env['PATH'] ?? '',
    };
    const prune = (args: string[]) =>
      spawnSync(process.execPath, ['src/cli/main.ts', 'prune', ...args], { cwd: root, env, encoding: 'utf8' });

    const dry = prune(['--older-than', '0s', '--dry-run']);
    expect(dry.stdout).toBe('would delete 2 finished run(s) older than 0 ms (looked at 2)\n');
    expect(dry.status).toBe(0);
    expect((await recordsAndIndex()).index).toEqual([first, second]);

    // Runs finished 100 days ago on the store's clock are far older than 1 day on the real one.
    const real = prune(['--older-than', '1d']);
    expect(real.stdout).toBe('deleted 2 finished run(s) older than 86400000 ms (looked at 2)\n');
    expect(real.status).toBe(0);
    expect(await recordsAndIndex()).toEqual({ records: [], index: [], owned: [] });

    const bad = prune(['--older-than', 'soon']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('expected a duration such as 30d');
  });
});
