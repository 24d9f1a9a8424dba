import { BatchV1Api, CoreV1Api, type V1Job } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimCluster, type SimCluster } from '../../src/sim/sim-cluster.ts';
import { conditionTypes, isFinished, jobManifest } from '../contract/support/jobs.ts';
import { waitFor } from '../contract/support/wait-for.ts';

// Sim-only until the kwok stages restart containers in place: restartPolicy OnFailure.
let sim: SimCluster;
let batch: BatchV1Api;
let core: CoreV1Api;
beforeAll(async () => {
  sim = await startSimCluster({ podFailureBackoffMs: 20 });
  batch = sim.kubeConfig.makeApiClient(BatchV1Api);
  core = sim.kubeConfig.makeApiClient(CoreV1Api);
});
afterAll(async () => {
  await sim?.stop();
});

function onFailureJob(name: string, backoffLimit: number, annotations: Record<string, string>): V1Job {
  const job = jobManifest({
    name,
    backoffLimit,
    annotations: { 'sim.kubedispatch.io/duration': '20ms', ...annotations },
  });
  (job.spec?.template.spec as { restartPolicy: string }).restartPolicy = 'OnFailure';
  return job;
}

async function runToEnd(job: V1Job): Promise<V1Job> {
  await batch.createNamespacedJob({ namespace: 'default', body: job });
  return waitFor<V1Job>(
    sim.kubeConfig,
    '/apis/batch/v1/namespaces/default/jobs',
    { fieldSelector: `metadata.name=${job.metadata?.name}` },
    isFinished,
  );
}

describe('restartPolicy OnFailure', () => {
  it('restarts the failed container in the same pod until it succeeds', async () => {
    const job = await runToEnd(
      onFailureJob('restarts', 6, {
        'sim.kubedispatch.io/failures-before-success': '2',
        'sim.kubedispatch.io/exit-code': '4',
      }),
    );
    expect(conditionTypes(job)).toContain('Complete');
    const pods = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'job-name=restarts' })).items;
    expect(pods).toHaveLength(1);
    const status = pods[0]?.status?.containerStatuses?.[0];
    expect(status?.restartCount).toBe(2);
    expect(status?.lastState?.terminated).toMatchObject({ exitCode: 4, reason: 'Error' });
    expect(status?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    const events = await core.listNamespacedEvent({
      namespace: 'default',
      fieldSelector: `involvedObject.name=${pods[0]?.metadata?.name}`,
    });
    expect(events.items.map((event) => event.reason)).toContain('BackOff');
  });

  it('fails the Job with BackoffLimitExceeded once restarts reach backoffLimit', async () => {
    const job = await runToEnd(onFailureJob('keeps-failing', 2, { 'sim.kubedispatch.io/behavior': 'fail' }));
    expect(job.status?.conditions?.find((item) => item.type === 'Failed')?.reason).toBe('BackoffLimitExceeded');
    // The one pod is deleted with the Job's failure and counted as failed; its back-offs remain as events.
    expect(job.status?.failed).toBe(1);
    const backOffs = (
      await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'reason=BackOff' })
    ).items.filter((event) => event.involvedObject.name?.startsWith('keeps-failing-'));
    expect(backOffs.reduce((sum, event) => sum + (event.count ?? 1), 0)).toBe(2);
  });
});
