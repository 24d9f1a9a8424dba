import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatchHarness, type DispatchHarness } from './support/harness.ts';
import { attemptOf } from './support/sim-jobs.ts';

describe('dispatcher on the simulated cluster', () => {
  let h: DispatchHarness;

  beforeEach(async () => {
    h = await dispatchHarness();
  });
  afterEach(async () => {
    await h.cleanup();
  });

  it('runs a DAG: one Job per block, downstream after upstream, run succeeded', async () => {
    h.jobs.playWatcher(h.store);
    await h.startDispatcher();
    const runId = await h.createRun(h.project([{ uuid: 'a' }, { uuid: 'b', upstream: ['a'] }, { uuid: 'c', upstream: ['a'] }]));
    const run = await h.waitForRun(runId);
    expect(run.state).toBe('succeeded');
    expect(run.blocks.map((b) => [b.blockUuid, b.state, b.attempt])).toEqual([
      ['a', 'succeeded', 1],
      ['b', 'succeeded', 1],
      ['c', 'succeeded', 1],
    ]);
    const jobs = await h.jobs.jobs();
    expect(jobs.map((job) => job.metadata?.name).sort()).toEqual(run.blocks.map((b) => `mage-disp-block-${b.blockRunId}`).sort());
  });

  it("hands the run's variables to Mage's command in every Job (--runtime-vars)", async () => {
    h.jobs.playWatcher(h.store);
    await h.startDispatcher();
    const runId = await h.createRun(h.project([{ uuid: 'a' }, { uuid: 'b', upstream: ['a'] }]), { day: '2026-11-28', region: 'eu' });
    expect((await h.waitForRun(runId)).state).toBe('succeeded');
    const commands = (await h.jobs.jobs()).map((job) => job.spec?.template.spec?.containers[0]?.command ?? []);
    expect(commands).toHaveLength(2);
    for (const command of commands) expect(command.slice(-2)).toEqual(['--runtime-vars', '{"day":"2026-11-28","region":"eu"}']);
  });

  it('retries a failure the pod could not retry (OOMKilled) with a new Job per attempt, then fails with its reason', async () => {
    // The real watcher (deleting no Jobs) tells OOMKilled from a plain exit code, which is never retried here (Mage retried in the pod).
    h.startWatcher({ KUBEDISPATCH_DELETE_FINISHED_JOBS: 'false' });
    await h.startDispatcher();
    const runId = await h.createRun(h.project([{ uuid: 'flaky', retries: 1, annotations: { 'sim.kubedispatch.io/behavior': 'oom-killed' } }]));
    const run = await h.waitForRun(runId);
    const block = run.blocks[0]!;
    expect({ run: run.state, state: block.state, attempt: block.attempt, reason: block.reason }).toEqual({ run: 'failed', state: 'failed', attempt: 2, reason: 'OOMKilled' });
    const names = (await h.jobs.jobs()).map((job) => job.metadata?.name).sort();
    expect(names).toEqual([`mage-disp-block-${block.blockRunId}`, `mage-disp-block-${block.blockRunId}-a2`]);
  });

  it('two dispatchers on one queue never create a Job twice', async () => {
    h.jobs.playWatcher(h.store);
    await h.startDispatcher({}, { concurrency: 8 });
    await h.startDispatcher({}, { concurrency: 8 });
    const blocks = Array.from({ length: 12 }, (_, i) => ({ uuid: `b${i}` }));
    const runs = await Promise.all([h.createRun(h.project(blocks)), h.createRun(h.project(blocks, 'other'))]);
    for (const runId of runs) expect((await h.waitForRun(runId)).state).toBe('succeeded');
    const jobs = await h.jobs.jobs();
    expect(jobs).toHaveLength(24);
    expect(new Set(jobs.map(attemptOf)).size).toBe(24);
    // One Job ever per attempt. Create requests are not counted: a lock that lapses on a loaded
    // machine legally lets another dispatcher ask again (409, adopted).
    for (const uids of h.jobs.seenUids().values()) expect(uids.size).toBe(1);
  });
});
