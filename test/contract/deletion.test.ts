import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectContractCluster, type ContractCluster } from './support/contract-cluster.ts';
import { jobManifest } from './support/jobs.ts';
import { waitFor, waitForDeletion } from './support/wait-for.ts';

let cluster: ContractCluster;
beforeAll(async () => {
  cluster = await connectContractCluster('delete');
});
afterAll(async () => {
  await cluster?.stop();
});

const jobsPath = (): string => `/apis/batch/v1/namespaces/${cluster.namespace}/jobs`;
const podsPath = (): string => `/api/v1/namespaces/${cluster.namespace}/pods`;

/** A Job whose pod runs far longer than the test, once that pod is Running. */
async function runningJob(name: string): Promise<V1Pod> {
  await cluster.batch.createNamespacedJob({
    namespace: cluster.namespace,
    body: jobManifest({ name, annotations: { 'sim.kubedispatch.io/duration': '10m' } }),
  });
  return waitFor<V1Pod>(
    cluster.kubeConfig,
    podsPath(),
    { labelSelector: `batch.kubernetes.io/job-name=${name}` },
    (pod) => pod.status?.phase === 'Running',
  );
}

const readJob = (name: string) => () => cluster.batch.readNamespacedJob({ namespace: cluster.namespace, name });
const readPod = (name: string) => () => cluster.core.readNamespacedPod({ namespace: cluster.namespace, name });

describe('deleting a Job', () => {
  it('with Background removes the Job at once and its pods afterwards', async () => {
    const pod = await runningJob('background');
    await cluster.batch.deleteNamespacedJob({
      namespace: cluster.namespace,
      name: 'background',
      propagationPolicy: 'Background',
    });
    await waitForDeletion(cluster.kubeConfig, jobsPath(), readJob('background'));
    await waitForDeletion(cluster.kubeConfig, podsPath(), readPod(pod.metadata?.name as string));
  });

  it('with Foreground keeps the Job, marked for deletion, until its pods are gone', async () => {
    const pod = await runningJob('foreground');
    const before = await cluster.batch.readNamespacedJob({ namespace: cluster.namespace, name: 'foreground' });
    // One watch of the Job from before the delete: its events arrive in the order they happened.
    const seen: string[] = [];
    const jobDeleted = waitFor<V1Job>(
      cluster.kubeConfig,
      jobsPath(),
      { fieldSelector: 'metadata.name=foreground', resourceVersion: before.metadata?.resourceVersion as string },
      (job, type) => {
        const marked =
          job.metadata?.deletionTimestamp !== undefined &&
          (job.metadata?.finalizers ?? []).includes('foregroundDeletion');
        seen.push(type === 'DELETED' ? 'deleted' : marked ? 'marked' : 'other');
        return type === 'DELETED';
      },
    );
    await cluster.batch.deleteNamespacedJob({
      namespace: cluster.namespace,
      name: 'foreground',
      propagationPolicy: 'Foreground',
    });
    await jobDeleted;
    expect(seen.indexOf('marked'), `events of the Job: ${seen.join(', ')}`).toBeGreaterThanOrEqual(0);
    expect(seen.indexOf('marked')).toBeLessThan(seen.indexOf('deleted'));
    // By the time the Job is gone, so is its pod.
    await expect(readPod(pod.metadata?.name as string)()).rejects.toMatchObject({ code: 404 });
  });

  it('with Orphan removes the Job and leaves its pods running without an owner', async () => {
    const pod = await runningJob('orphan');
    await cluster.batch.deleteNamespacedJob({
      namespace: cluster.namespace,
      name: 'orphan',
      propagationPolicy: 'Orphan',
    });
    await waitForDeletion(cluster.kubeConfig, jobsPath(), readJob('orphan'));
    const left = await waitFor<V1Pod>(
      cluster.kubeConfig,
      podsPath(),
      { fieldSelector: `metadata.name=${pod.metadata?.name}` },
      (p) => !p.metadata?.ownerReferences?.length,
    );
    expect(left.metadata?.deletionTimestamp).toBeUndefined();
    expect(left.status?.phase).toBe('Running');
  });

  it('without a propagation policy orphans the pods, as batch/v1 always has', async () => {
    const pod = await runningJob('default-policy');
    await cluster.batch.deleteNamespacedJob({ namespace: cluster.namespace, name: 'default-policy' });
    await waitForDeletion(cluster.kubeConfig, jobsPath(), readJob('default-policy'));
    const left = await waitFor<V1Pod>(
      cluster.kubeConfig,
      podsPath(),
      { fieldSelector: `metadata.name=${pod.metadata?.name}` },
      (p) => !p.metadata?.ownerReferences?.length,
    );
    expect(left.metadata?.deletionTimestamp).toBeUndefined();
  });
});

describe('deleting a pod', () => {
  it('of a running Job gets it replaced, and the deleted pod counted as failed', async () => {
    const pod = await runningJob('replaced');
    await cluster.core.deleteNamespacedPod({ namespace: cluster.namespace, name: pod.metadata?.name as string });
    const replacement = await waitFor<V1Pod>(
      cluster.kubeConfig,
      podsPath(),
      { labelSelector: 'batch.kubernetes.io/job-name=replaced' },
      (p) => p.metadata?.name !== pod.metadata?.name && p.status?.phase === 'Running',
      // Kubernetes may wait out its pod-failure backoff (10 s) before the replacement.
      45_000,
    );
    expect(replacement.metadata?.name).toMatch(/^replaced-/);
    await waitFor<V1Job>(
      cluster.kubeConfig,
      jobsPath(),
      { fieldSelector: 'metadata.name=replaced' },
      (job) => (job.status?.failed ?? 0) === 1,
    );
  }, 60_000);
});
