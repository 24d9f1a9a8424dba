import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PIPELINE_RUN_ID_LABEL } from '../../src/render/identity.ts';
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
    const runId = await h.createRun(
      h.project([{ uuid: 'a' }, { uuid: 'b', upstream: ['a'] }, { uuid: 'c', upstream: ['a'] }]),
    );
    const run = await h.waitForRun(runId);
    expect(run.state).toBe('succeeded');
    expect(run.blocks.map((b) => [b.blockUuid, b.state, b.attempt])).toEqual([
      ['a', 'succeeded', 1],
      ['b', 'succeeded', 1],
      ['c', 'succeeded', 1],
    ]);
    const jobs = await h.jobs.jobs();
    expect(jobs.map((job) => job.metadata?.name).sort()).toEqual(
      run.blocks.map((b) => `mage-disp-block-${b.blockRunId}`).sort(),
    );
    // Each attempt records the cluster it ran on: the kubeconfig's current cluster, without kube.clusterName.
    const clusterName = h.cluster.name;
    expect(clusterName).not.toBe('');
    expect(run.blocks.map((b) => [b.cluster, b.attempts.map((attempt) => attempt.cluster)])).toEqual(
      run.blocks.map(() => [clusterName, [clusterName]]),
    );
  });

  it('gives every Job of a run, retries included, the same partition and Mage variables, and another run others', async () => {
    h.startWatcher({ KUBEDISPATCH_DELETE_FINISHED_JOBS: 'false' });
    await h.startDispatcher();
    // OOMKilled: a failure the pod cannot retry itself, so kubedispatch makes a second attempt (a second Job).
    const dir = h.project([
      { uuid: 'flaky', retries: 1, annotations: { 'sim.kubedispatch.io/behavior': 'oom-killed' } },
      { uuid: 'b' },
    ]);
    const runIds = [
      await h.createRun(dir, { day: '2026-11-28', n: 5, cfg: { regions: ['eu'] } }),
      await h.createRun(dir, { day: '2026-11-29' }),
    ];
    for (const runId of runIds) expect((await h.waitForRun(runId)).state).toBe('failed');
    const jobs = await h.jobs.jobs();
    const optionsOf = (runId: number) =>
      jobs
        .filter((job) => job.metadata?.labels?.[PIPELINE_RUN_ID_LABEL] === String(runId))
        .map((job) => job.spec?.template.spec?.containers[0]?.command ?? [])
        .map((command) => ({
          partition: command[command.indexOf('--execution-partition') + 1],
          vars: command[command.indexOf('--runtime-vars') + 1],
          command,
        }));
    const [first, second] = runIds.map(optionsOf);
    expect(first).toHaveLength(3); // flaky twice, b once
    for (const jobsOfRun of [first!, second!]) {
      for (const { command, partition, vars } of jobsOfRun) {
        expect(command).not.toContain('--pipeline-run-id');
        expect(command).not.toContain('--block-run-id');
        expect(partition).toBe(jobsOfRun[0]!.partition);
        expect(vars).toBe(jobsOfRun[0]!.vars);
      }
    }
    expect(first![0]!.partition).not.toBe(second![0]!.partition);
    expect(JSON.parse(first![0]!.vars!)).toMatchObject({
      day: '2026-11-28',
      n: 5,
      cfg: { regions: ['eu'] },
      pipeline_run_id: runIds[0],
      execution_partition: first![0]!.partition,
    });
    expect(JSON.parse(second![0]!.vars!)).toMatchObject({ day: '2026-11-29', pipeline_run_id: runIds[1] });
  });

  it('retries a failure the pod could not retry (OOMKilled) with a new Job per attempt, then fails with its reason', async () => {
    // The real watcher (deleting no Jobs) tells OOMKilled from a plain exit code, which is never retried here (Mage retried in the pod).
    h.startWatcher({ KUBEDISPATCH_DELETE_FINISHED_JOBS: 'false' });
    await h.startDispatcher();
    const runId = await h.createRun(
      h.project([{ uuid: 'flaky', retries: 1, annotations: { 'sim.kubedispatch.io/behavior': 'oom-killed' } }]),
    );
    const run = await h.waitForRun(runId);
    const block = run.blocks[0]!;
    expect({ run: run.state, state: block.state, attempt: block.attempt, reason: block.reason }).toEqual({
      run: 'failed',
      state: 'failed',
      attempt: 2,
      reason: 'OOMKilled',
    });
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
