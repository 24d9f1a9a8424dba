import { UnrecoverableError, Worker } from 'bullmq';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BLOCK_RUN_QUEUE, type BlockRunJobData } from '../../src/runs/block-run-queue.ts';
import { TRIGGER_QUEUE } from '../../src/runs/trigger-queue.ts';
import { finish, takeQueued, writeProject } from '../scheduler/support.ts';
import { eventually } from '../support/eventually.ts';
import { useHttpServer } from './support.ts';

const TOKEN = 'test-token-0123456789abcdef0123456789';
const project = writeProject({ etl: { blocks: [{ uuid: 'a' }, { uuid: 'b', upstream: ['a'] }, { uuid: 'e' }] } });
afterAll(() => project.remove());

const bearer = { authorization: `Bearer ${TOKEN}` };
const jsonWrite = { ...bearer, 'content-type': 'application/json' };

interface RunBody {
  id: number;
  state: string;
  blocks: { blockUuid: string; blockRunId: number; state: string }[];
}

describe('POST /api/v1/runs/{id}/retry', () => {
  const http = useHttpServer(project.dir, () => ({ authToken: TOKEN }));

  const retry = (id: number | string, headers: Record<string, string> = jsonWrite) =>
    fetch(`${http.server.url}/api/v1/runs/${id}/retry`, { method: 'POST', headers });

  /** A run of etl whose block a failed (b upstream_failed, e succeeded). */
  async function failedRun(): Promise<RunBody> {
    const created = await fetch(`${http.server.url}/api/v1/pipelines/etl/runs`, { method: 'POST', headers: jsonWrite });
    const run = (await created.json()) as RunBody;
    for (const job of await takeQueued(http.services))
      await finish(http.services, job, job.data.blockUuid === 'a' ? 'failed' : 'succeeded');
    expect((await http.services.store.getRunRecord(run.id))!.state).toBe('failed');
    return run;
  }

  it('retries the blocks that did not get done (200), then refuses while the run is running (409)', async () => {
    const run = await failedRun();
    const answer = await retry(run.id);
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { retried: boolean; blocks: string[]; run: RunBody };
    expect(body).toMatchObject({
      retried: true,
      blocks: ['a', 'b'],
      run: { id: run.id, state: 'running', retries: 1 },
    });
    expect(body.run.blocks.map((block) => [block.blockUuid, block.state])).toEqual([
      ['a', 'queued'],
      ['e', 'succeeded'],
      ['b', 'pending'],
    ]);
    const a = body.run.blocks[0]!;
    expect((await http.services.blockQueue.getJob(`br-${a.blockRunId}-r1`))?.data).toMatchObject({ attemptBase: 1 });

    const again = await retry(run.id);
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({
      error: 'run_not_finished',
      message: `run ${run.id} is running: only a failed or cancelled run can be retried (wait for it to finish, or cancel it)`,
    });
  });

  it('answers 409 nothing_to_retry for a succeeded run, 404 for no run, and follows the write rules', async () => {
    const created = await fetch(`${http.server.url}/api/v1/pipelines/etl/runs`, { method: 'POST', headers: jsonWrite });
    const run = (await created.json()) as RunBody;
    for (let round = 0; round < 2; round++)
      for (const job of await takeQueued(http.services)) await finish(http.services, job, 'succeeded');
    expect((await http.services.store.getRunRecord(run.id))!.state).toBe('succeeded');
    const answer = await retry(run.id);
    expect(answer.status).toBe(409);
    expect(await answer.json()).toMatchObject({
      error: 'nothing_to_retry',
      message: expect.stringContaining('nothing to retry'),
    });

    for (const id of ['999999', 'abc', '0']) expect((await retry(id)).status).toBe(404);
    const failed = await failedRun();
    expect((await retry(failed.id, bearer)).status).toBe(415);
    expect((await retry(failed.id, { 'content-type': 'application/json' })).status).toBe(401);
    expect((await http.services.store.getRunRecord(failed.id))!.state).toBe('failed');
  });
});

describe('Bull Board', () => {
  const http = useHttpServer(project.dir, () => ({ authToken: TOKEN }));
  const workers: Worker[] = [];
  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.close();
  });

  interface BoardJob {
    id: string;
    failedReason?: string;
    stacktrace: string[];
    returnValue?: unknown;
    externalUrl?: { displayText?: string; href: string };
  }

  async function boardJobs(queue: string, status: string): Promise<BoardJob[]> {
    const query = new URLSearchParams({ activeQueue: queue, status, page: '1', jobsPerPage: '10' });
    const answer = await fetch(`${http.server.url}/ui/api/queues?${query}`, { headers: bearer });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { queues: { name: string; jobs: BoardJob[] }[] };
    return body.queues.find((entry) => entry.name === queue)!.jobs;
  }

  it('shows a cancelled block run as completed, a failed one with its reason and no stack, each linking to its run', async () => {
    const created = await fetch(`${http.server.url}/api/v1/pipelines/etl/runs`, { method: 'POST', headers: jsonWrite });
    const run = (await created.json()) as RunBody;
    // Settled as the dispatcher's processor settles them (test/dispatch/retry.test.ts runs the real one).
    const worker = new Worker<BlockRunJobData, string>(
      BLOCK_RUN_QUEUE,
      async (job) => {
        if (job.data.blockUuid === 'e') return `cancelled: run ${job.data.runId} was cancelled`;
        throw new UnrecoverableError('BackoffLimitExceeded: Job has reached the specified backoff limit');
      },
      { connection: http.redis.connect(), prefix: http.redis.prefix },
    );
    workers.push(worker);
    await eventually('both block runs to settle', async () => {
      const counts = await http.services.blockQueue.getJobCounts('completed', 'failed');
      return counts['completed'] === 1 && counts['failed'] === 1;
    });

    const link = { displayText: `run ${run.id}`, href: `/runs/${run.id}` };
    expect(await boardJobs(BLOCK_RUN_QUEUE, 'completed')).toEqual([
      expect.objectContaining({ returnValue: `cancelled: run ${run.id} was cancelled`, externalUrl: link }),
    ]);
    const [failed] = await boardJobs(BLOCK_RUN_QUEUE, 'failed');
    expect(failed).toMatchObject({
      failedReason: 'BackoffLimitExceeded: Job has reached the specified backoff limit',
      stacktrace: [],
      externalUrl: link,
    });
    expect(await boardJobs(BLOCK_RUN_QUEUE, 'waiting')).toEqual([]);

    const page = await (await fetch(`${http.server.url}/ui/`, { headers: bearer })).text();
    const config = JSON.parse(
      /<script id="__UI_CONFIG__" type="application\/json">(.*?)<\/script>/s.exec(page)![1]!,
    ) as {
      miscLinks: { text: string; url: string }[];
    };
    expect(config.miscLinks).toEqual([{ text: 'Runs', url: '/runs' }]);
  });

  it('links a schedule tick to the run it created, once it did', async () => {
    await http.services.triggerQueue.add('tick', { triggerId: 1 } as never, { jobId: 'done' });
    await http.services.triggerQueue.add('tick', { triggerId: 2 } as never, { jobId: 'broken' });
    const worker = new Worker(
      TRIGGER_QUEUE,
      async (job) => {
        if (job.id === 'broken') throw new UnrecoverableError('invalid pipeline');
        return 41;
      },
      { connection: http.redis.connect(), prefix: http.redis.prefix },
    );
    workers.push(worker);
    await eventually('both ticks to settle', async () => {
      const counts = await http.services.triggerQueue.getJobCounts('completed', 'failed');
      return counts['completed'] === 1 && counts['failed'] === 1;
    });
    expect((await boardJobs(TRIGGER_QUEUE, 'completed'))[0]?.externalUrl).toEqual({
      displayText: 'run 41',
      href: '/runs/41',
    });
    expect((await boardJobs(TRIGGER_QUEUE, 'failed'))[0]).not.toHaveProperty('externalUrl');
  });
});
