import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { V1Job } from '@kubernetes/client-node';
import { createKubeClients, type KubeClients } from '../../src/k8s/api-clients.ts';
import { deleteJob } from '../../src/k8s/delete-job.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/sim-cluster.ts';
import { cancelPipelineRun, type RunCanceller } from '../../src/runs/cancel-run.ts';
import { createPipelineRun } from '../../src/runs/create-run.ts';
import type { RunServices } from '../../src/runs/run-services.ts';
import { testRedis, type TestRedis } from '../support/redis.ts';
import { testCreator, testServices, uuids, writeProject } from '../scheduler/support.ts';

function job(name: string): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default', annotations: { 'sim.kubedispatch.io/duration': '1h' } },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { annotations: { 'sim.kubedispatch.io/duration': '1h' } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] },
      },
    },
  };
}

describe('cancel', () => {
  let sim: SimCluster;
  let kube: KubeClients;
  let t: TestRedis;
  let services: RunServices;
  let canceller: RunCanceller;
  const project = writeProject({
    etl: { blocks: [{ uuid: 'a' }, { uuid: 'b', upstream: ['a'] }, { uuid: 'e' }, { uuid: 'f' }] },
  });

  beforeAll(async () => {
    sim = await startSimCluster();
    kube = createKubeClients(sim.kubeConfig, 5000);
  });
  afterAll(async () => {
    await sim.stop();
    project.remove();
  });
  beforeEach(() => {
    t = testRedis();
    services = testServices(t);
    canceller = {
      store: services.store,
      blockQueue: services.blockQueue,
      deleteJob: (namespace, name) => deleteJob(kube.batch, namespace, name),
      now: () => 42,
    };
  });
  afterEach(async () => {
    await services.close();
    await t.cleanup();
  });

  async function jobNames(): Promise<string[]> {
    const list = await kube.batch.listNamespacedJob({ namespace: 'default' });
    return list.items
      .filter((item) => !item.metadata?.deletionTimestamp)
      .map((item) => item.metadata!.name!)
      .sort();
  }

  it('deletes running Jobs, records cancelled outcomes, drops queued work, and is repeatable', async () => {
    const runId = await createPipelineRun(testCreator(services, project.dir), {
      pipelineUuid: 'etl',
      trigger: '',
      variables: {},
    });
    const queued = await services.blockQueue.getJobs(['waiting']);
    expect(uuids(queued)).toEqual(['a', 'e', 'f']);
    // a and e are running as Jobs; f is still waiting in the queue.
    for (const block of ['a', 'e']) {
      const name = `mage-cancel-${t.prefix}-${block}`;
      await kube.batch.createNamespacedJob({ namespace: 'default', body: job(name) });
      expect(await services.store.markDispatching(runId, block, 1)).toBe('ok');
      expect(await services.store.markRunning(runId, block, 1, name, 'default')).toBe(true);
      await queued.find((entry) => entry.data.blockUuid === block)!.remove();
    }
    expect(await jobNames()).toEqual([`mage-cancel-${t.prefix}-a`, `mage-cancel-${t.prefix}-e`]);

    const report = await cancelPipelineRun(canceller, runId, 'stop it');
    expect(report).toEqual({
      found: true,
      cancelled: true,
      deletedJobs: [`default/mage-cancel-${t.prefix}-a`, `default/mage-cancel-${t.prefix}-e`],
    });
    expect(await jobNames()).toEqual([]);
    const run = (await services.store.getRun(runId))!;
    expect(run.state).toBe('cancelled');
    expect(run.blocks.map((block) => [block.blockUuid, block.state])).toEqual([
      ['a', 'cancelled'],
      ['e', 'cancelled'],
      ['f', 'cancelled'],
      ['b', 'cancelled'],
    ]);
    for (const block of run.blocks.filter((entry) => entry.attempt > 0)) {
      expect(await services.store.getOutcome({ blockRunId: block.blockRunId, attempt: 1 })).toEqual({
        succeeded: false,
        cancelled: true,
        reason: 'Cancelled',
        message: 'stop it',
        finishedAt: 42,
        epoch: await services.store.epoch(),
      });
    }
    expect(await services.blockQueue.getJobs(['waiting', 'delayed'])).toEqual([]);
    expect(await services.store.activeAttempts()).toEqual([]);

    // A second cancel (e.g. after a crash mid-cancel) redoes the cleanup; the Jobs are already gone.
    expect(await cancelPipelineRun(canceller, runId)).toMatchObject({ found: true, cancelled: false });
  });

  it('reports an unknown run', async () => {
    expect(await cancelPipelineRun(canceller, 999)).toEqual({ found: false, cancelled: false, deletedJobs: [] });
  });
});
