import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startChaosProxy, type ChaosProxy } from '../../src/chaos/chaos-proxy.ts';
import { KubeCluster } from '../../src/k8s/kube-cluster.ts';
import { cancelPipelineRun } from '../../src/runs/cancel-run.ts';
import { dispatchHarness, type DispatchHarness } from './support/harness.ts';
import { eventually } from '../support/eventually.ts';

describe('runs cancelled while dispatching', () => {
  let h: DispatchHarness;
  let proxy: ChaosProxy;
  const cancel = (runId: number) =>
    cancelPipelineRun(
      { store: h.store, blockQueue: h.queue, deleteJob: (namespace, name) => h.cluster.deleteJob(namespace, name) },
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
    // The cancel must come once the create request is on its way (before, nothing is created at all).
    const cluster = new KubeCluster(proxy.kubeConfig, {
      name: 'sim',
      requestTimeoutMs: 10_000,
      watchIdleTimeoutMs: 60_000,
    });
    let createSent!: () => void;
    const createInFlight = new Promise<void>((resolve) => {
      createSent = resolve;
    });
    const create = cluster.createJob.bind(cluster);
    cluster.createJob = (namespace, job) => {
      createSent();
      return create(namespace, job);
    };
    const dispatcher = await h.startDispatcher({ KUBECONFIG: proxy.kubeconfigPath }, { cluster });
    // A cancelled block run did not fail: its queue job completes, saying so.
    const completed = new Promise<string>((resolve) =>
      dispatcher.worker.on('completed', (_job, result: string) => resolve(result)),
    );
    const runId = await h.createRun(h.project([{ uuid: 'a', annotations: { 'sim.kubedispatch.io/duration': '5s' } }]));
    await createInFlight;
    // The scheduler's cancel cannot know this Job yet (it is not recorded as running).
    expect((await cancel(runId)).deletedJobs).toEqual([]);
    expect(await completed).toMatch(/^cancelled/);
    // The Job's watch event may reach this process after the dispatcher gave the block run up.
    await eventually('the Job to be seen', async () => h.jobs.seenUids().size > 0);
    expect(h.jobs.seenUids().size).toBe(1);
    await eventually('the orphan Job to be deleted', async () => (await h.jobs.jobs()).length === 0);
    expect((await h.store.getRun(runId))!.blocks[0]!.state).toBe('cancelled');
  });

  it('a dispatcher waiting on a cancelled run lets go and the queue job completes as cancelled', async () => {
    const dispatcher = await h.startDispatcher();
    // A cancelled block run did not fail: its queue job completes, saying so.
    const completed = new Promise<string>((resolve) =>
      dispatcher.worker.on('completed', (_job, result: string) => resolve(result)),
    );
    const runId = await h.createRun(h.project([{ uuid: 'a', annotations: { 'sim.kubedispatch.io/duration': '5s' } }]));
    await eventually('the block to run', async () => (await h.store.getRun(runId))?.blocks[0]?.state === 'running');
    expect((await cancel(runId)).deletedJobs).toHaveLength(1);
    expect(await completed).toMatch(/^cancelled/);
    expect((await h.store.getRun(runId))!.state).toBe('cancelled');
  });
});
