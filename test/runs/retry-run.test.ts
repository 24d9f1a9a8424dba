import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blockRunJobId } from '../../src/runs/block-run-queue.ts';
import { cancelPipelineRun } from '../../src/runs/cancel-run.ts';
import { retryPipelineRun } from '../../src/runs/retry-run.ts';
import { sweepRuns } from '../../src/runs/run-sweep.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { RunStore, type NewRun } from '../../src/runs/run-store.ts';
import { newRun } from '../support/new-run.ts';
import type { AttemptOutcome } from '../../src/runs/types.ts';
import { createBlockRunQueue } from '../../src/runs/block-run-queue.ts';
import { testRedis, type TestRedis } from '../support/redis.ts';
import { eventually } from '../support/eventually.ts';

const noRetry = { retries: 0, delaySeconds: 0, exponentialBackoff: false, maxDelaySeconds: 1 };

// a → b → c ; d independent
function chain(overrides: Partial<NewRun> = {}): NewRun {
  return newRun(
    [
      { blockUuid: 'a', upstream: [], maxAttempts: 2, retry: noRetry },
      { blockUuid: 'b', upstream: ['a'], maxAttempts: 1, retry: noRetry },
      { blockUuid: 'c', upstream: ['b'], maxAttempts: 1, retry: noRetry },
      { blockUuid: 'd', upstream: [], maxAttempts: 1, retry: noRetry },
    ],
    overrides,
  );
}

const ok: AttemptOutcome = { succeeded: true, reason: 'Complete', message: 'Job completed', finishedAt: 1 };
const oom: AttemptOutcome = { succeeded: false, reason: 'OOMKilled', message: 'out of memory', finishedAt: 2 };
const bad: AttemptOutcome = {
  succeeded: false,
  reason: 'BackoffLimitExceeded',
  message: 'Job has reached the specified backoff limit',
  exitCode: 3,
  logTail: ['boom'],
  finishedAt: 3,
};

describe('retrying a finished run', () => {
  let t: TestRedis;
  let store: RunStore;
  let clock: number;

  beforeEach(() => {
    t = testRedis();
    clock = 1_000;
    store = new RunStore(t.redis, t.prefix, () => clock);
  });
  afterEach(() => t.cleanup());

  /** Runs one attempt of a queued (or retrying) block of the given go to its end, as a dispatcher would. */
  async function attempt(runId: number, block: string, state: 'succeeded' | 'failed' | 'retrying', generation = 0) {
    const record = (await store.getBlock(runId, block))!;
    const next = record.attempt + 1;
    expect(await store.markDispatching(runId, block, next, generation)).toBe('ok');
    expect(await store.markRunning(runId, block, next, `job-${block}-${next}`, 'ns')).toBe(true);
    expect(await store.applyAttemptResult(runId, block, next, state, state === 'succeeded' ? ok : bad)).toBe(true);
    return store.advanceRun(runId);
  }

  /** a fails after a retry the queue made (attempts 1 and 2); b and c upstream_failed; d succeeded. */
  async function failedRun(overrides: Partial<NewRun> = {}): Promise<number> {
    const runId = await store.createRun(chain(overrides));
    await store.advanceRun(runId);
    await attempt(runId, 'd', 'succeeded');
    expect(await store.markDispatching(runId, 'a', 1)).toBe('ok');
    await store.markRunning(runId, 'a', 1, 'job-a-1', 'ns');
    await store.applyAttemptResult(runId, 'a', 1, 'retrying', oom);
    const finished = await attempt(runId, 'a', 'failed');
    expect(finished.finished).toBe('failed');
    return runId;
  }

  it('puts every block not done back to pending with its attempts, and attempts count on from there', async () => {
    const runId = await failedRun();
    clock = 5_000;
    const result = await store.retryRun(runId);
    expect(result).toEqual({ result: 'retried', state: 'running', pipelineUuid: 'etl', blocks: ['a', 'b', 'c'] });

    const run = (await store.getRun(runId))!;
    expect(run).toMatchObject({ state: 'running', retries: 1, retriedAt: 5_000 });
    expect(run.reason).toBeUndefined();
    expect(run.finishedAt).toBeUndefined();
    expect(await store.activeRunIds()).toEqual([runId]);
    const [a, b, c, d] = run.blocks;
    expect(a).toMatchObject({ state: 'pending', attempt: 2, attemptBase: 2, retryGeneration: 1, maxAttempts: 2 });
    expect(a!.attempts.map((entry) => [entry.attempt, entry.jobName, entry.outcome?.reason])).toEqual([
      [1, 'job-a-1', 'OOMKilled'],
      [2, 'job-a-2', 'BackoffLimitExceeded'],
    ]);
    for (const field of ['reason', 'message', 'exitCode', 'logTail', 'jobName', 'namespace', 'startedAt', 'finishedAt'])
      expect(a, field).not.toHaveProperty(field);
    expect(b).toMatchObject({ state: 'pending', attempt: 0, attemptBase: 0, retryGeneration: 1 });
    expect(c).toMatchObject({ state: 'pending', retryGeneration: 1 });
    expect(d).toMatchObject({ state: 'succeeded', attempt: 1 });
    expect(d).not.toHaveProperty('retryGeneration');

    // The next advance queues a as its second go, whose attempts are 3 and 4.
    const advanced = await store.advanceRun(runId);
    expect(advanced.enqueue).toEqual([
      { blockUuid: 'a', blockRunId: a!.blockRunId, maxAttempts: 2, retry: noRetry, generation: 1, attemptBase: 2 },
    ]);
    // A queue job of the first go (one that outlived the run's end) can no longer take the block.
    expect(await store.markDispatching(runId, 'a', 3, 0)).toBe('superseded');
    // Nor can a late outcome of the first go's last attempt be applied to this one.
    expect(await store.applyAttemptResult(runId, 'a', 2, 'failed', bad)).toBe(false);
    expect((await store.getBlock(runId, 'a'))!.state).toBe('queued');
    expect(await store.markDispatching(runId, 'a', 3, 1)).toBe('ok');
    await store.markRunning(runId, 'a', 3, 'job-a-3', 'ns');
    await store.applyAttemptResult(runId, 'a', 3, 'retrying', oom);
    await attempt(runId, 'a', 'succeeded', 1);
    await attempt(runId, 'b', 'succeeded', 1);
    const end = await attempt(runId, 'c', 'succeeded', 1);
    expect(end.finished).toBe('succeeded');
    const done = (await store.getRun(runId))!;
    expect(done.blocks[0]!.attempts.map((entry) => entry.attempt)).toEqual([1, 2, 3, 4]);
    expect(done.blocks[0]).toMatchObject({ state: 'succeeded', attempt: 4, jobName: 'job-a-4' });
    expect(await store.activeRunIds()).toEqual([]);
    // A succeeded run has nothing to retry.
    expect(await store.retryRun(runId)).toMatchObject({ result: 'nothing_to_retry', state: 'succeeded', blocks: [] });
  });

  it('refuses runs that are not finished, and unknown runs', async () => {
    const runId = await store.createRun(chain());
    expect(await store.retryRun(runId)).toEqual({
      result: 'not_finished',
      state: 'running',
      pipelineUuid: 'etl',
      blocks: [],
    });
    expect(await store.retryRun(999_999)).toEqual({ result: 'missing', state: '', pipelineUuid: '', blocks: [] });
  });

  it('forgets the failed block that stopped a run without allow_blocks_to_fail, and stops it again on the next', async () => {
    const runId = await store.createRun(chain({ stopOnBlockFailure: true }));
    await store.advanceRun(runId);
    await attempt(runId, 'd', 'succeeded');
    expect(await attempt(runId, 'a', 'failed')).toMatchObject({ finished: 'failed' });
    expect((await store.getRun(runId))!.reason).toMatch(/^block a failed/);

    expect((await store.retryRun(runId)).blocks).toEqual(['a', 'b', 'c']);
    await store.advanceRun(runId);
    await attempt(runId, 'a', 'succeeded', 1);
    expect(await attempt(runId, 'b', 'failed', 1)).toMatchObject({ finished: 'failed' });
    const run = (await store.getRun(runId))!;
    expect(run.reason).toMatch(/^block b failed/);
    expect(run.blocks.map((block) => block.state)).toEqual(['succeeded', 'failed', 'cancelled', 'succeeded']);

    expect((await store.retryRun(runId)).blocks).toEqual(['b', 'c']);
    await store.advanceRun(runId);
    await attempt(runId, 'b', 'succeeded', 2);
    expect(await attempt(runId, 'c', 'succeeded', 2)).toMatchObject({ finished: 'succeeded' });
    expect((await store.getRun(runId))!).toMatchObject({ state: 'succeeded', retries: 2 });
  });

  it('keeps condition_failed blocks done, and decides their downstream blocks again', async () => {
    const runId = await store.createRun(chain());
    await store.advanceRun(runId);
    await attempt(runId, 'd', 'failed');
    expect(await store.markDispatching(runId, 'a', 1)).toBe('ok');
    await store.markRunning(runId, 'a', 1, 'job-a-1', 'ns');
    await store.applyAttemptResult(runId, 'a', 1, 'condition_failed', ok);
    expect(await store.advanceRun(runId)).toMatchObject({ finished: 'failed' });
    expect((await store.getRun(runId))!.blocks.map((block) => block.state)).toEqual([
      'condition_failed',
      'condition_failed',
      'condition_failed',
      'failed',
    ]);
    expect((await store.retryRun(runId)).blocks).toEqual(['d']);
    expect((await store.advanceRun(runId)).enqueue.map((block) => block.blockUuid)).toEqual(['d']);
    expect(await attempt(runId, 'd', 'succeeded', 1)).toMatchObject({ finished: 'succeeded' });
  });

  it('retries a cancelled run, waiting when its pipeline_run_limit is full', async () => {
    const runId = await store.createRun(chain({ pipelineRunLimit: 1 }));
    await store.advanceRun(runId);
    expect(await store.markDispatching(runId, 'a', 1)).toBe('ok');
    await store.markRunning(runId, 'a', 1, 'job-a-1', 'ns');
    await store.cancelRun(runId, 'stop');
    const other = await store.createRun(chain({ pipelineRunLimit: 1 }));
    expect((await store.getRunRecord(other))!.state).toBe('running');

    expect(await store.retryRun(runId)).toMatchObject({
      result: 'retried',
      state: 'waiting',
      blocks: ['a', 'b', 'c', 'd'],
    });
    expect((await store.getBlock(runId, 'a'))!).toMatchObject({ state: 'pending', attempt: 1, attemptBase: 1 });
    expect(await t.redis.lrange(`${t.prefix}:pipeline:etl:waiting`, 0, -1)).toEqual([String(runId)]);
    expect((await store.advanceRun(runId)).enqueue).toEqual([]);

    await store.cancelRun(other, 'make room');
    expect(await store.promoteWaitingRuns('etl')).toEqual([runId]);
    expect((await store.advanceRun(runId)).enqueue.map((block) => [block.blockUuid, block.attemptBase])).toEqual([
      ['a', 1],
      ['d', 0],
    ]);
  });

  it('announces each retry on the changes channel', async () => {
    const runId = await failedRun();
    const subscriber = t.connect();
    const messages: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => messages.push(message));
    await subscriber.subscribe(store.keys.changesChannel);
    await store.retryRun(runId);
    await store.retryRun(runId); // refused: changes nothing, says nothing
    await eventually('the retry to be announced', async () => messages.includes(String(runId)));
    expect(messages.filter((message) => message === String(runId))).toHaveLength(1);
  });
});

describe('retryPipelineRun', () => {
  let t: TestRedis;
  let store: RunStore;
  let queue: ReturnType<typeof createBlockRunQueue>;

  beforeEach(() => {
    t = testRedis();
    store = new RunStore(t.redis, t.prefix);
    queue = createBlockRunQueue(t.redis, t.prefix);
  });
  afterEach(async () => {
    await queue.close();
    await t.cleanup();
  });

  async function failedRunWithQueueJobs(): Promise<number> {
    const runId = await store.createRun(chain());
    const { enqueue } = await store.advanceRun(runId);
    // The first go's queue jobs as advanceAndEnqueue adds them; a's failed, as BullMQ keeps it.
    await queue.addBulk(
      enqueue.map((block) => ({
        name: block.blockUuid,
        data: { runId, pipelineUuid: 'etl', ...block },
        opts: { jobId: blockRunJobId(block) },
      })),
    );
    for (const block of ['a', 'd']) {
      expect(await store.markDispatching(runId, block, 1)).toBe('ok');
      await store.markRunning(runId, block, 1, `job-${block}-1`, 'ns');
      await store.applyAttemptResult(runId, block, 1, block === 'a' ? 'failed' : 'succeeded', block === 'a' ? bad : ok);
    }
    expect((await store.advanceRun(runId)).finished).toBe('failed');
    return runId;
  }

  it('enqueues the retried blocks as new queue jobs of their generation, which cancel finds', async () => {
    const runId = await failedRunWithQueueJobs();
    const a = (await store.getBlock(runId, 'a'))!;
    expect(await retryPipelineRun({ store, blockQueue: queue }, runId)).toEqual({
      found: true,
      retried: true,
      blocks: ['a', 'b', 'c'],
    });
    const job = await queue.getJob(`br-${a.blockRunId}-r1`);
    expect(job?.data).toMatchObject({ runId, blockUuid: 'a', generation: 1, attemptBase: 1 });
    expect(job?.opts).toMatchObject({ attempts: 2, stackTraceLimit: 0 });
    expect(await queue.getJob(`br-${a.blockRunId}`)).toBeDefined();
    expect((await store.getBlock(runId, 'a'))!.state).toBe('queued');

    const cancelled = await cancelPipelineRun(
      { store, blockQueue: queue, deleteJob: () => Promise.reject(new Error('no Job of this go exists')) },
      runId,
    );
    expect(cancelled).toMatchObject({ cancelled: true, deletedJobs: [] });
    expect(await queue.getJob(`br-${a.blockRunId}-r1`)).toBeUndefined();
    // A cancelled retry can be retried in turn: the third go.
    expect(await retryPipelineRun({ store, blockQueue: queue }, runId)).toMatchObject({ retried: true });
    expect((await queue.getJob(`br-${a.blockRunId}-r2`))?.data).toMatchObject({ generation: 2, attemptBase: 1 });
  });

  it('is finished by the sweep after a crash between the retry and the enqueue, in the right generation', async () => {
    const logger = createLogger('silent', 'test');
    // Crashed after the script: the run is running, nothing is queued.
    const first = await failedRunWithQueueJobs();
    await store.retryRun(first);
    // Crashed between the advance and the queue add: the block is queued but was never added.
    const second = await failedRunWithQueueJobs();
    await store.retryRun(second);
    expect((await store.advanceRun(second)).enqueue.map((block) => block.blockUuid)).toEqual(['a']);

    expect(await sweepRuns(store, queue, logger)).toMatchObject({ advanced: 2 });
    for (const runId of [first, second]) {
      const a = (await store.getBlock(runId, 'a'))!;
      expect(a.state).toBe('queued');
      expect((await queue.getJob(`br-${a.blockRunId}-r1`))?.data).toMatchObject({
        runId,
        generation: 1,
        attemptBase: 1,
      });
    }
  });

  it('lets one of two concurrent retries win; the other finds the run running', async () => {
    const runId = await failedRunWithQueueJobs();
    const reports = await Promise.all([1, 2].map(() => retryPipelineRun({ store, blockQueue: queue }, runId)));
    expect(reports.filter((report) => report.found && report.retried)).toHaveLength(1);
    expect(reports.find((report) => report.found && !report.retried)).toMatchObject({
      refusal: 'run_not_finished',
      message: expect.stringMatching(/is running: only a failed or cancelled run can be retried/),
    });
    expect((await store.getRunRecord(runId))!.retries).toBe(1);
    const waiting = await queue.getJobs(['waiting']);
    expect(waiting.filter((job) => job.id?.endsWith('-r1')).map((job) => job.data.blockUuid)).toEqual(['a']);
  });

  it("cleans up the go a cancel ended even when the run is retried before the cleanup, and spares the retry's", async () => {
    const runId = await store.createRun(chain());
    const { enqueue } = await store.advanceRun(runId);
    await queue.addBulk(
      enqueue.map((block) => ({
        name: block.blockUuid,
        data: { runId, pipelineUuid: 'etl', ...block },
        opts: { jobId: blockRunJobId(block) },
      })),
    );
    expect(await store.markDispatching(runId, 'a', 1)).toBe('ok');
    await store.markRunning(runId, 'a', 1, 'job-a-1', 'ns');
    const [a, d] = [(await store.getBlock(runId, 'a'))!, (await store.getBlock(runId, 'd'))!];
    // Another client retries the run between the cancel's script and the cleanup that follows it.
    const racingStore = new Proxy(store, {
      get(target, property) {
        if (property === 'getRun')
          return async (id: number) => {
            await retryPipelineRun({ store: target, blockQueue: queue }, id);
            return target.getRun(id);
          };
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const deleted: string[] = [];
    const report = await cancelPipelineRun(
      { store: racingStore, blockQueue: queue, deleteJob: async (ns, name) => void deleted.push(`${ns}/${name}`) },
      runId,
    );
    expect(report).toMatchObject({ found: true, cancelled: true, deletedJobs: ['ns/job-a-1'] });
    // The Job of the cancelled attempt is gone, and its dispatcher told to let go.
    expect(deleted).toEqual(['ns/job-a-1']);
    expect(await store.getOutcome({ blockRunId: a.blockRunId, attempt: 1 })).toMatchObject({ cancelled: true });
    // The cancelled go's unclaimed queue job is removed; the retry's go is left to run.
    expect(await queue.getJob(blockRunJobId({ blockRunId: d.blockRunId, generation: 0 }))).toBeUndefined();
    for (const block of [a, d])
      expect(await queue.getJob(blockRunJobId({ blockRunId: block.blockRunId, generation: 1 }))).toBeDefined();
    expect((await store.getRunRecord(runId))!.state).toBe('running');
  });

  it('says why it retries nothing', async () => {
    expect(await retryPipelineRun({ store, blockQueue: queue }, 424_242)).toEqual({ found: false });
    const runId = await store.createRun(
      chain({ blocks: [{ blockUuid: 'a', upstream: [], maxAttempts: 1, retry: noRetry }] }),
    );
    await store.advanceRun(runId);
    expect(await store.markDispatching(runId, 'a', 1)).toBe('ok');
    await store.markRunning(runId, 'a', 1, 'job-a-1', 'ns');
    await store.applyAttemptResult(runId, 'a', 1, 'succeeded', ok);
    await store.advanceRun(runId);
    expect(await retryPipelineRun({ store, blockQueue: queue }, runId)).toMatchObject({
      retried: false,
      refusal: 'nothing_to_retry',
      message: `run ${runId} is succeeded and every block of it is done (succeeded or condition_failed): nothing to retry`,
    });
  });
});

describe('kubedispatch retry', () => {
  let t: TestRedis;
  let store: RunStore;

  beforeEach(() => {
    t = testRedis();
    store = new RunStore(t.redis, t.prefix);
  });
  afterEach(() => t.cleanup());

  function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const env = {
      REDIS_URL: t.url,
      KUBEDISPATCH_QUEUE_PREFIX: t.prefix,
      LOG_LEVEL: 'silent',
      PATH: process.env['PATH'] ?? '',
    };
    const child = spawn(process.execPath, ['src/cli/main.ts', 'retry', ...args], {
      cwd: join(import.meta.dirname, '../..'),
      env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
  }

  it('retries a cancelled run, says why it will not retry a running one, and refuses a bad id', async () => {
    const runId = await store.createRun(chain());
    expect(await cli([String(runId)])).toMatchObject({
      status: 1,
      stderr: expect.stringContaining(`run ${runId} is running: only a failed or cancelled run can be retried`),
    });
    await store.cancelRun(runId, 'stop');
    expect(await cli([String(runId)])).toEqual({
      status: 0,
      stdout: `run ${runId} retried; blocks to run again: a, b, c, d\n`,
      stderr: '',
    });
    expect((await store.getRunRecord(runId))!.state).toBe('running');
    expect(await cli(['999999'])).toMatchObject({ status: 1, stderr: expect.stringContaining('no run 999999') });
    expect(await cli(['twelve'])).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('expected a positive integer'),
    });
  });
});
