import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectContractCluster, type ContractCluster } from './support/contract-cluster.ts';
import { conditionTypes, isFinished, jobManifest } from './support/jobs.ts';
import { waitFor, waitForDeletion } from './support/wait-for.ts';

let cluster: ContractCluster;
beforeAll(async () => {
  cluster = await connectContractCluster('jobs');
});
afterAll(async () => {
  await cluster?.stop();
});

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const jobsPath = (): string => `/apis/batch/v1/namespaces/${cluster.namespace}/jobs`;
const podsPath = (): string => `/api/v1/namespaces/${cluster.namespace}/pods`;

async function runToEnd(job: V1Job, timeoutMs?: number): Promise<V1Job> {
  await cluster.batch.createNamespacedJob({ namespace: cluster.namespace, body: job });
  return waitFor<V1Job>(
    cluster.kubeConfig,
    jobsPath(),
    { fieldSelector: `metadata.name=${job.metadata?.name}` },
    isFinished,
    timeoutMs,
  );
}

async function podsOf(jobName: string): Promise<V1Pod[]> {
  const list = await cluster.core.listNamespacedPod({
    namespace: cluster.namespace,
    labelSelector: `batch.kubernetes.io/job-name=${jobName}`,
  });
  return list.items;
}

describe('Job controller', () => {
  it('completes a Job whose pod succeeds, with SuccessCriteriaMet and Complete conditions', async () => {
    const job = await runToEnd(
      jobManifest({ name: 'succeeds', annotations: { 'sim.kubedispatch.io/duration': '100ms' } }),
    );
    expect(conditionTypes(job)).toEqual(['SuccessCriteriaMet', 'Complete']);
    expect(job.status?.conditions?.find((item) => item.type === 'Complete')?.reason).toBe('CompletionsReached');
    // Zero counts are omitted from the status (omitempty).
    expect(job.status?.succeeded).toBe(1);
    expect(job.status?.active ?? 0).toBe(0);
    expect(job.status?.failed ?? 0).toBe(0);
    // Watched objects arrive as JSON, so times are RFC 3339 strings with second precision.
    expect(String(job.status?.startTime)).toMatch(RFC3339);
    expect(String(job.status?.completionTime)).toMatch(RFC3339);

    const [pod] = await podsOf('succeeds');
    expect(pod?.metadata?.name).toMatch(/^succeeds-[a-z0-9]{5}$/);
    expect(pod?.metadata?.ownerReferences).toEqual([
      expect.objectContaining({
        apiVersion: 'batch/v1',
        kind: 'Job',
        name: 'succeeds',
        uid: job.metadata?.uid,
        controller: true,
        blockOwnerDeletion: true,
      }),
    ]);
    expect(pod?.metadata?.labels).toMatchObject({
      'job-name': 'succeeds',
      'controller-uid': job.metadata?.uid,
      'kubedispatch.io/contract': 'true',
    });
    expect(pod?.status?.phase).toBe('Succeeded');
    const terminated = pod?.status?.containerStatuses?.[0]?.state?.terminated;
    expect(terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(terminated?.startedAt).toBeInstanceOf(Date);
    expect(terminated?.finishedAt).toBeInstanceOf(Date);
  });

  it('replaces failed pods until one succeeds while within backoffLimit', async () => {
    const job = await runToEnd(
      jobManifest({
        name: 'retries',
        backoffLimit: 2,
        annotations: {
          'sim.kubedispatch.io/duration': '50ms',
          'sim.kubedispatch.io/failures-before-success': '1',
          'sim.kubedispatch.io/exit-code': '2',
        },
      }),
      60_000,
    );
    expect(conditionTypes(job)).toContain('Complete');
    expect(job.status).toMatchObject({ succeeded: 1, failed: 1 });
    const phases = (await podsOf('retries')).map((pod) => pod.status?.phase).sort();
    expect(phases).toEqual(['Failed', 'Succeeded']);
  }, 90_000);

  it('fails the Job with BackoffLimitExceeded once failures exceed backoffLimit', async () => {
    const job = await runToEnd(
      jobManifest({
        name: 'gives-up',
        backoffLimit: 0,
        annotations: { 'sim.kubedispatch.io/duration': '50ms', 'sim.kubedispatch.io/exit-code': '3' },
      }),
    );
    expect(conditionTypes(job)).toEqual(['FailureTarget', 'Failed']);
    const failed = job.status?.conditions?.find((item) => item.type === 'Failed');
    expect(failed?.reason).toBe('BackoffLimitExceeded');
    expect(job.status?.failed).toBe(1);
    expect(job.status?.active ?? 0).toBe(0);
    const [pod] = await podsOf('gives-up');
    expect(pod?.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    const events = await cluster.core.listNamespacedEvent({
      namespace: cluster.namespace,
      fieldSelector: 'involvedObject.name=gives-up',
    });
    expect(events.items.map((event) => event.reason)).toEqual(
      expect.arrayContaining(['SuccessfulCreate', 'BackoffLimitExceeded']),
    );
  });

  it('fails the Job with DeadlineExceeded after activeDeadlineSeconds and stops its pod', async () => {
    const job = await runToEnd(
      jobManifest({
        name: 'too-slow',
        activeDeadlineSeconds: 1,
        annotations: { 'sim.kubedispatch.io/duration': '10m' },
      }),
    );
    expect(job.status?.conditions?.find((item) => item.type === 'Failed')?.reason).toBe('DeadlineExceeded');
    expect(job.status?.active ?? 0).toBe(0);
    const pods = await podsOf('too-slow');
    expect(pods.every((pod) => pod.metadata?.deletionTimestamp || pod.status?.phase === 'Failed')).toBe(true);
  });

  it('deletes a finished Job and its pods after ttlSecondsAfterFinished', async () => {
    await runToEnd(
      jobManifest({
        name: 'short-lived',
        ttlSecondsAfterFinished: 0,
        annotations: { 'sim.kubedispatch.io/duration': '50ms' },
      }),
    );
    await waitForDeletion(cluster.kubeConfig, jobsPath(), () =>
      cluster.batch.readNamespacedJob({ namespace: cluster.namespace, name: 'short-lived' }),
    );
    for (const pod of await podsOf('short-lived')) {
      await waitForDeletion(cluster.kubeConfig, podsPath(), () =>
        cluster.core.readNamespacedPod({ namespace: cluster.namespace, name: pod.metadata?.name as string }),
      );
    }
    expect(await podsOf('short-lived')).toEqual([]);
  });
});
