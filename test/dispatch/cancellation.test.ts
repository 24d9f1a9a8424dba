import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startChaosProxy, type ChaosProxy } from '../../src/chaos/chaos-proxy.ts';
import { deleteJob } from '../../src/k8s/delete-job.ts';
import { cancelPipelineRun } from '../../src/runs/cancel-run.ts';
import { dispatchHarness, type DispatchHarness } from './support/harness.ts';
import { waitFor } from './support/wait-for.ts';

describe('runs cancelled while dispatching', () => {
  let h: DispatchHarness;
  let proxy: ChaosProxy;
  const cancel = (runId: number) =>
    cancelPipelineRun(
      { store: h.store, blockQueue: h.queue, deleteJob: (namespace, name) => deleteJob(h.jobs.batch, namespace, name) },
      runId,
    );

  beforeEach(async () => {
    h = await dispatchHarness();
    proxy = await startChaosProxy({ targetKubeconfig: h.sim.kubeconfigPath });
    await h.jobs.recordCreations();
    h.jobs.playWatcher(h.store);
  });
  afterEach(async () => {
    await h.cleanup();
    await proxy.stop();
  });

  it('a Job whose creation was in flight when the run was cancelled is deleted by the dispatcher', async () => {
    proxy.setFaults({ rules: [{ verbs: ['create'], resources: ['jobs'], fault: 'latency', ms: 300 }] });
    const dispatcher = await h.startDispatcher({ KUBECONFIG: proxy.kubeconfigPath });
    const failed = new Promise<string>((resolve) =>
      dispatcher.worker.on('failed', (_job, error) => resolve(error.message)),
    );
    const runId = await h.createRun(h.project([{ uuid: 'a', annotations: { 'sim.kubedispatch.io/duration': '5s' } }]));
    await waitFor(
      'the block to be dispatching',
      async () => (await h.store.getRun(runId))?.blocks[0]?.state === 'dispatching',
    );
    // The scheduler's cancel cannot know this Job yet (it is not recorded as running).
    expect((await cancel(runId)).deletedJobs).toEqual([]);
    expect(await failed).toMatch(/cancelled/);
    expect(h.jobs.seenUids().size).toBe(1);
    await waitFor('the orphan Job to be deleted', async () => (await h.jobs.jobs()).length === 0);
    expect((await h.store.getRun(runId))!.blocks[0]!.state).toBe('cancelled');
  });

  it('a dispatcher waiting on a cancelled run lets go and the queue job fails as cancelled', async () => {
    const dispatcher = await h.startDispatcher();
    const failed = new Promise<string>((resolve) =>
      dispatcher.worker.on('failed', (_job, error) => resolve(error.message)),
    );
    const runId = await h.createRun(h.project([{ uuid: 'a', annotations: { 'sim.kubedispatch.io/duration': '5s' } }]));
    await waitFor('the block to run', async () => (await h.store.getRun(runId))?.blocks[0]?.state === 'running');
    expect((await cancel(runId)).deletedJobs).toHaveLength(1);
    expect(await failed).toMatch(/cancelled/);
    expect((await h.store.getRun(runId))!.state).toBe('cancelled');
  });
});
