import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/config-problem.ts';
import type { Project } from '../../src/project/model.ts';
import { createPipelineRun } from '../../src/runs/create-run.ts';
import { sweepRuns } from '../../src/runs/run-sweep.ts';
import {
  finish,
  keysUnder,
  silentLogger,
  takeQueued,
  testCreator,
  useServices,
  uuids,
  writeProject,
  type PipelineSpec,
} from '../scheduler/support.ts';

// a → (b, c) → d ; e independent
const diamond: PipelineSpec = {
  blocks: [
    { uuid: 'a' },
    { uuid: 'b', upstream: ['a'], retries: 2 },
    { uuid: 'c', upstream: ['a'] },
    { uuid: 'd', upstream: ['b', 'c'] },
    { uuid: 'e' },
  ],
};

describe('run creation', () => {
  const ctx = useServices();
  /** Keys a run would write; BullMQ writes its queues' own `:meta` keys on connecting, whenever that happens. */
  async function runKeys(): Promise<string[]> {
    return (await keysUnder(ctx.t)).filter((key) => !key.endsWith(':meta'));
  }
  const projects: { remove(): void }[] = [];

  function project(pipelines: Record<string, PipelineSpec>) {
    const written = writeProject(pipelines);
    projects.push(written);
    return testCreator(ctx.services, written.dir);
  }

  afterEach(async () => {
    for (const written of projects.splice(0)) written.remove();
  });

  it('creates the run with blocks in topological order, Mage retry and limits, and enqueues the roots', async () => {
    const creator = project({ etl: { ...diamond, concurrency: { block_run_limit: 3, pipeline_run_limit: 2 } } });
    const runId = await createPipelineRun(creator, {
      pipelineUuid: 'etl',
      trigger: 'manual',
      variables: { day: '2026-11-28' },
    });
    const run = (await ctx.services.store.getRun(runId))!;
    expect(run).toMatchObject({
      state: 'running',
      trigger: 'manual',
      variables: { day: '2026-11-28' },
      blockRunLimit: 3,
      pipelineRunLimit: 2,
    });
    expect(run.blocks.map((block) => block.blockUuid)).toEqual(['a', 'e', 'b', 'c', 'd']);
    const b = run.blocks.find((block) => block.blockUuid === 'b')!;
    expect(b).toMatchObject({
      maxAttempts: 3,
      retry: { retries: 2, delaySeconds: 2, exponentialBackoff: false, maxDelaySeconds: 10 },
      upstream: ['a'],
    });
    const queued = await ctx.services.blockQueue.getJobs(['waiting']);
    expect(uuids(queued)).toEqual(['a', 'e']);
    expect(queued.map((job) => job.opts.attempts)).toEqual([1, 1]);
  });

  it('creates no block run for blocks Mage never runs (markdown, chart, scratchpad)', async () => {
    const creator = project({
      etl: {
        blocks: [
          { uuid: 'notes', type: 'markdown' },
          { uuid: 'a' },
          { uuid: 'plot', type: 'chart' },
          { uuid: 'b', upstream: ['a'] },
          { uuid: 'sandbox', type: 'scratchpad' },
        ],
      },
    });
    const runId = await createPipelineRun(creator, { pipelineUuid: 'etl', trigger: 'manual', variables: {} });
    const run = (await ctx.services.store.getRun(runId))!;
    expect(run.blocks.map((block) => block.blockUuid)).toEqual(['a', 'b']);
    expect(uuids(await ctx.services.blockQueue.getJobs(['waiting']))).toEqual(['a']);
  });

  it('refuses a streaming pipeline by name and writes nothing to Redis', async () => {
    const written = writeProject({ stream: { blocks: [{ uuid: 'consume' }] } });
    projects.push(written);
    const file = join(written.dir, 'pipelines/stream/metadata.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('executor_type: k8s', 'executor_type: k8s\ntype: streaming'),
    );
    const error = await createPipelineRun(testCreator(ctx.services, written.dir), {
      pipelineUuid: 'stream',
      trigger: '',
      variables: {},
    }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/pipeline "stream" is a streaming pipeline/);
    expect(await runKeys()).toEqual([]);
  });

  it('refuses an invalid pipeline with every problem and writes nothing to Redis', async () => {
    const creator = project({
      etl: {
        blocks: [
          { uuid: 'a', executor_type: 'local_python_force' },
          { uuid: 'b', upstream: ['a'], executor_config: { resource_limits: { cpu: 'lots' } } },
          { uuid: 'c', upstream: ['b'], executor_config: { job_name_prefix: 'x-{unknown}' } },
        ],
      },
    });
    const error = await createPipelineRun(creator, { pipelineUuid: 'etl', trigger: '', variables: {} }).catch(
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ConfigError);
    const errors = (error as ConfigError).problems.filter((problem) => problem.severity === 'error');
    expect(errors.map((problem) => problem.keyPath).join('\n')).toMatch(/blocks\[0\]\.executor_type/);
    expect(
      errors.some(
        (problem) => /resource_limits\.cpu$/.test(problem.keyPath) && /not a resource quantity/.test(problem.message),
      ),
    ).toBe(true);
    expect(errors.some((problem) => /unknown/.test(problem.message))).toBe(true);
    expect(await runKeys()).toEqual([]);
  });

  it('refuses an unknown pipeline, naming the known ones', async () => {
    const creator = project({ etl: diamond });
    await expect(createPipelineRun(creator, { pipelineUuid: 'nope', trigger: '', variables: {} })).rejects.toThrow(
      /unknown pipeline "nope".*etl/,
    );
    expect(await runKeys()).toEqual([]);
  });

  it('reads only the requested pipeline: a broken one beside it neither stops the run nor enters its snapshot', async () => {
    const creator = project({ etl: diamond, broken: { blocks: [{ uuid: 'x', upstream: ['missing'] }] } });
    const runId = await createPipelineRun(creator, { pipelineUuid: 'etl', trigger: '', variables: {} });
    const snapshot = await ctx.services.store.getProjectSnapshot<Project>(runId);
    expect(snapshot?.pipelines.map((pipeline) => pipeline.uuid)).toEqual(['etl']);
  });

  it('enqueues blocks along the DAG as their upstreams succeed', async () => {
    const creator = project({ etl: diamond });
    await createPipelineRun(creator, { pipelineUuid: 'etl', trigger: '', variables: {} });
    const first = await takeQueued(ctx.services);
    expect(uuids(first)).toEqual(['a', 'e']);
    await finish(ctx.services, first.find((job) => job.data.blockUuid === 'e')!, 'succeeded');
    expect(await takeQueued(ctx.services)).toEqual([]);
    await finish(ctx.services, first.find((job) => job.data.blockUuid === 'a')!, 'succeeded');
    const second = await takeQueued(ctx.services);
    expect(uuids(second)).toEqual(['b', 'c']);
    await finish(ctx.services, second[0]!, 'succeeded');
    expect(await takeQueued(ctx.services)).toEqual([]);
    await finish(ctx.services, second[1]!, 'succeeded');
    const third = await takeQueued(ctx.services);
    expect(uuids(third)).toEqual(['d']);
    await finish(ctx.services, third[0]!, 'succeeded');
    expect((await ctx.services.store.getRun(third[0]!.data.runId))!.state).toBe('succeeded');
  });

  it('marks downstream blocks upstream_failed and fails the run once running blocks finish', async () => {
    const creator = project({ etl: diamond });
    const runId = await createPipelineRun(creator, { pipelineUuid: 'etl', trigger: '', variables: {} });
    const [a, e] = await takeQueued(ctx.services);
    await finish(ctx.services, a!, 'failed');
    const afterFailure = (await ctx.services.store.getRun(runId))!;
    expect(Object.fromEntries(afterFailure.blocks.map((block) => [block.blockUuid, block.state]))).toEqual({
      a: 'failed',
      b: 'upstream_failed',
      c: 'upstream_failed',
      d: 'upstream_failed',
      e: 'dispatching',
    });
    expect(afterFailure.state).toBe('running');
    await finish(ctx.services, e!, 'succeeded');
    const done = (await ctx.services.store.getRun(runId))!;
    expect(done.state).toBe('failed');
    expect(done.blocks[0]).toMatchObject({ blockUuid: 'a', reason: 'BackoffLimitExceeded', exitCode: 2 });
  });

  it('returns the same run for the same idempotency key', async () => {
    const creator = project({ etl: diamond });
    const first = await createPipelineRun(creator, {
      pipelineUuid: 'etl',
      trigger: '',
      variables: {},
      idempotencyKey: 'k1',
    });
    const again = await createPipelineRun(creator, {
      pipelineUuid: 'etl',
      trigger: '',
      variables: {},
      idempotencyKey: 'k1',
    });
    expect(again).toBe(first);
    expect(await ctx.services.store.runIdsNewestFirst(0, 10)).toEqual([first]);
    expect(uuids(await ctx.services.blockQueue.getJobs(['waiting']))).toEqual(['a', 'e']);
  });

  it('honours block_run_limit', async () => {
    const creator = project({
      wide: { blocks: [{ uuid: 'x' }, { uuid: 'y' }, { uuid: 'z' }], concurrency: { block_run_limit: 1 } },
    });
    await createPipelineRun(creator, { pipelineUuid: 'wide', trigger: '', variables: {} });
    const seen: string[] = [];
    for (let step = 0; step < 3; step++) {
      const taken = await takeQueued(ctx.services);
      expect(taken).toHaveLength(1);
      seen.push(taken[0]!.data.blockUuid);
      await finish(ctx.services, taken[0]!, 'succeeded');
    }
    expect(seen).toEqual(['x', 'y', 'z']);
  });

  it('holds runs beyond pipeline_run_limit waiting and starts them when a run finishes', async () => {
    const creator = project({ one: { blocks: [{ uuid: 'only' }], concurrency: { pipeline_run_limit: 1 } } });
    const first = await createPipelineRun(creator, { pipelineUuid: 'one', trigger: '', variables: {} });
    const second = await createPipelineRun(creator, { pipelineUuid: 'one', trigger: '', variables: {} });
    expect((await ctx.services.store.getRunRecord(second))!.state).toBe('waiting');
    const [job] = await takeQueued(ctx.services);
    expect(job!.data.runId).toBe(first);
    expect(await takeQueued(ctx.services)).toEqual([]);
    await finish(ctx.services, job!, 'succeeded');
    expect((await ctx.services.store.getRunRecord(second))!.state).toBe('running');
    const [next] = await takeQueued(ctx.services);
    expect(next!.data.runId).toBe(second);
  });

  it('sweep repairs a run whose creation stopped before anything was enqueued', async () => {
    const creator = project({ etl: diamond });
    // As if the process died right after createRun: the run exists, nothing is queued.
    const runId = await ctx.services.store.createRun({
      ...(await (
        await import('../../src/runs/run-plan.ts')
      ).planRun(creator.plan, { pipelineUuid: 'etl', trigger: '', variables: {} })),
    });
    expect(await ctx.services.blockQueue.getJobs(['waiting'])).toEqual([]);
    const report = await sweepRuns(ctx.services.store, ctx.services.blockQueue, silentLogger);
    expect(report.advanced).toBe(1);
    expect(uuids(await ctx.services.blockQueue.getJobs(['waiting']))).toEqual(['a', 'e']);
    await sweepRuns(ctx.services.store, ctx.services.blockQueue, silentLogger);
    expect(await ctx.services.blockQueue.getJobCounts('waiting')).toEqual({ waiting: 2 });
    expect((await ctx.services.store.getRun(runId))!.blocks.filter((block) => block.state === 'queued')).toHaveLength(
      2,
    );
  });

  it('sweep starts waiting runs whose pipeline has room (a finish whose promotion was lost)', async () => {
    const creator = project({ one: { blocks: [{ uuid: 'only' }], concurrency: { pipeline_run_limit: 1 } } });
    await createPipelineRun(creator, { pipelineUuid: 'one', trigger: '', variables: {} });
    const second = await createPipelineRun(creator, { pipelineUuid: 'one', trigger: '', variables: {} });
    const [job] = await takeQueued(ctx.services);
    // Finish without advanceAndEnqueue's promotion, as a dispatcher killed after advanceRun would.
    await ctx.services.store.markRunning(job!.data.runId, 'only', 1, 'j', 'default');
    await ctx.services.store.applyAttemptResult(job!.data.runId, 'only', 1, 'succeeded', {
      succeeded: true,
      reason: 'Complete',
      message: '',
      finishedAt: 1,
    });
    await ctx.services.store.advanceRun(job!.data.runId);
    expect((await ctx.services.store.getRunRecord(second))!.state).toBe('waiting');
    const report = await sweepRuns(ctx.services.store, ctx.services.blockQueue, silentLogger);
    expect(report.promoted).toEqual([second]);
    expect((await takeQueued(ctx.services)).map((queued) => queued.data.runId)).toEqual([second]);
  });

  it('allow_blocks_to_fail off: a failed block cancels the blocks not yet dispatched; the running one finishes; the run fails', async () => {
    const creator = project({
      etl: { blocks: [{ uuid: 'a' }, { uuid: 'b', upstream: ['a'] }, { uuid: 'e' }, { uuid: 'f', upstream: ['e'] }] },
    });
    const runId = await createPipelineRun(creator, {
      pipelineUuid: 'etl',
      trigger: 'nightly',
      variables: {},
      allowBlocksToFail: false,
    });
    const [a, e] = await takeQueued(ctx.services);
    expect(uuids([a!, e!])).toEqual(['a', 'e']);
    await finish(ctx.services, a!, 'failed');
    let run = (await ctx.services.store.getRun(runId))!;
    expect(run.state).toBe('running');
    expect(Object.fromEntries(run.blocks.map((block) => [block.blockUuid, block.state]))).toEqual({
      a: 'failed',
      e: 'dispatching',
      b: 'cancelled',
      f: 'cancelled',
    });
    expect(run.blocks.find((block) => block.blockUuid === 'f')!.message).toMatch(
      /block a failed .*allow_blocks_to_fail/,
    );
    await finish(ctx.services, e!, 'succeeded');
    run = (await ctx.services.store.getRun(runId))!;
    expect(run).toMatchObject({ state: 'failed', reason: 'block a failed (settings.allow_blocks_to_fail is off)' });
    expect(await takeQueued(ctx.services)).toEqual([]);
  });

  it('allow_blocks_to_fail on (or a manual run): independent branches go on after a failure', async () => {
    const creator = project({
      etl: { blocks: [{ uuid: 'a' }, { uuid: 'b', upstream: ['a'] }, { uuid: 'e' }, { uuid: 'f', upstream: ['e'] }] },
    });
    const runId = await createPipelineRun(creator, {
      pipelineUuid: 'etl',
      trigger: 'nightly',
      variables: {},
      allowBlocksToFail: true,
    });
    const [a, e] = await takeQueued(ctx.services);
    await finish(ctx.services, a!, 'failed');
    await finish(ctx.services, e!, 'succeeded');
    expect(uuids(await takeQueued(ctx.services))).toEqual(['f']);
    const run = (await ctx.services.store.getRun(runId))!;
    expect(run.blocks.find((block) => block.blockUuid === 'b')!.state).toBe('upstream_failed');
  });
});
