import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ATTEMPT_LABEL, BLOCK_LABEL } from '../../src/render/identity.ts';
import { blockRunJobId } from '../../src/runs/block-run-queue.ts';
import { cancelPipelineRun } from '../../src/runs/cancel-run.ts';
import { retryPipelineRun } from '../../src/runs/retry-run.ts';
import { BEHAVIOR_ANNOTATIONS } from '../../src/sim/pod-behavior.ts';
import { eventually } from '../support/eventually.ts';
import { dispatchHarness, type DispatchHarness } from './support/harness.ts';

describe('retrying a finished run through the dispatcher', () => {
  let h: DispatchHarness;

  beforeEach(async () => {
    // The first attempt of block `flaky` exits 1; every later one succeeds.
    h = await dispatchHarness({
      behaviourRules: [
        {
          match: { [BLOCK_LABEL]: 'flaky', [ATTEMPT_LABEL]: '1' },
          annotations: { [BEHAVIOR_ANNOTATIONS.exitCode]: '1' },
        },
      ],
    });
    h.startWatcher({ KUBEDISPATCH_DELETE_FINISHED_JOBS: 'false' });
    await h.startDispatcher();
  });
  afterEach(async () => {
    await h.cleanup();
  });

  const retrier = () => ({ store: h.store, blockQueue: h.queue });

  it('runs the failed block again as its next attempt with a new Job, then its downstream blocks', async () => {
    const runId = await h.createRun(
      h.project([{ uuid: 'flaky' }, { uuid: 'down', upstream: ['flaky'] }, { uuid: 'other' }]),
    );
    const failed = await h.waitForRun(runId);
    expect(failed.blocks.map((block) => [block.blockUuid, block.state, block.attempt])).toEqual([
      ['flaky', 'failed', 1],
      ['other', 'succeeded', 1],
      ['down', 'upstream_failed', 0],
    ]);
    const flaky = failed.blocks[0]!;
    // Bull Board's card of the failed go shows the block's reason, not a stack trace.
    const firstGo = await h.queue.getJob(blockRunJobId({ blockRunId: flaky.blockRunId, generation: 0 }));
    expect(await firstGo?.getState()).toBe('failed');
    expect(firstGo?.failedReason).toMatch(/^BackoffLimitExceeded: /);
    expect(firstGo?.stacktrace).toEqual([]);

    expect(await retryPipelineRun(retrier(), runId)).toEqual({ found: true, retried: true, blocks: ['flaky', 'down'] });
    const run = await h.waitForRun(runId);
    expect(run).toMatchObject({ state: 'succeeded', retries: 1 });
    expect(run.reason).toBeUndefined();
    const [again, other, down] = run.blocks;
    expect(again).toMatchObject({ state: 'succeeded', attempt: 2, jobName: `mage-disp-block-${flaky.blockRunId}-a2` });
    expect(again!.attempts.map((entry) => [entry.attempt, entry.jobName, entry.outcome?.succeeded])).toEqual([
      [1, `mage-disp-block-${flaky.blockRunId}`, false],
      [2, `mage-disp-block-${flaky.blockRunId}-a2`, true],
    ]);
    expect(down).toMatchObject({ state: 'succeeded', attempt: 1 });
    expect(other).toMatchObject({ state: 'succeeded', attempt: 1, jobName: failed.blocks[1]!.jobName });
    const secondGo = await h.queue.getJob(blockRunJobId({ blockRunId: flaky.blockRunId, generation: 1 }));
    await eventually('the second go to complete', async () => (await secondGo?.getState()) === 'completed');
    // A queue job of the first go that turns up late (a dispatcher held it across the retry) takes nothing.
    const late = await h.queue.add('flaky', { ...firstGo!.data, generation: 0, attemptBase: 0 }, { jobId: 'late' });
    await eventually('the late job to complete', async () => (await late.getState()) === 'completed');
    expect((await h.queue.getJob('late'))?.returnvalue).toMatch(/^superseded: run \d+ was retried/);
    expect((await h.store.getBlock(runId, 'flaky'))!).toMatchObject({ state: 'succeeded', attempt: 2 });
    const names = (await h.jobs.jobs()).map((job) => job.metadata?.name).sort();
    expect(names).toEqual(
      [
        ...run.blocks.map((block) => `mage-disp-block-${block.blockRunId}`),
        `mage-disp-block-${flaky.blockRunId}-a2`,
      ].sort(),
    );
  });

  it('runs a cancelled run again, the cancelled attempt included, and its queue jobs complete as cancelled', async () => {
    const runId = await h.createRun(
      h.project([{ uuid: 'slow', annotations: { [BEHAVIOR_ANNOTATIONS.duration]: '2s' } }]),
    );
    await eventually('the block to run', async () => (await h.store.getRun(runId))?.blocks[0]?.state === 'running');
    const cancel = await cancelPipelineRun(
      { store: h.store, blockQueue: h.queue, deleteJob: (namespace, name) => h.cluster.deleteJob(namespace, name) },
      runId,
    );
    expect(cancel.deletedJobs).toHaveLength(1);
    const block = (await h.store.getRun(runId))!.blocks[0]!;
    const firstGo = await h.queue.getJob(blockRunJobId({ blockRunId: block.blockRunId, generation: 0 }));
    await eventually('the cancelled go to complete', async () => (await firstGo?.getState()) === 'completed');
    expect((await h.queue.getJob(firstGo!.id!))?.returnvalue).toMatch(/^cancelled/);

    expect(await retryPipelineRun(retrier(), runId)).toMatchObject({ retried: true, blocks: ['slow'] });
    const run = await h.waitForRun(runId);
    expect(run.state).toBe('succeeded');
    expect(run.blocks[0]).toMatchObject({ attempt: 2, jobName: `mage-disp-block-${block.blockRunId}-a2` });
    // The cancelled attempt keeps its Job's name (cancel-run.lua ends the block before any outcome).
    expect(run.blocks[0]!.attempts.map((entry) => [entry.attempt, entry.jobName, entry.outcome?.reason])).toEqual([
      [1, `mage-disp-block-${block.blockRunId}`, undefined],
      [2, `mage-disp-block-${block.blockRunId}-a2`, 'Complete'],
    ]);
  });

  it("never applies a late outcome of the go before a retry to the block's new go", async () => {
    const runId = await h.createRun(
      h.project([{ uuid: 'slow', annotations: { [BEHAVIOR_ANNOTATIONS.duration]: '1s' } }]),
    );
    await eventually('the block to run', async () => (await h.store.getRun(runId))?.blocks[0]?.state === 'running');
    const block = (await h.store.getRun(runId))!.blocks[0]!;
    // Cancelled and retried while the first go's dispatcher still waits for attempt 1's outcome.
    await h.store.cancelRun(runId, 'stop');
    expect(await retryPipelineRun(retrier(), runId)).toMatchObject({ retried: true });
    await h.store.recordOutcome(
      { blockRunId: block.blockRunId, attempt: 1 },
      { succeeded: false, reason: 'BackoffLimitExceeded', message: 'late', finishedAt: Date.now() },
    );
    const firstGo = await h.queue.getJob(blockRunJobId({ blockRunId: block.blockRunId, generation: 0 }));
    await eventually('the first go to complete', async () => (await firstGo?.getState()) === 'completed');
    expect((await h.queue.getJob(firstGo!.id!))?.returnvalue).toMatch(/^superseded/);
    const run = await h.waitForRun(runId);
    expect(run.state).toBe('succeeded');
    expect(run.blocks[0]!.attempts.map((entry) => [entry.attempt, entry.outcome?.reason])).toEqual([
      [1, undefined],
      [2, 'Complete'],
    ]);
  });
});
