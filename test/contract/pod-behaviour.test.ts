import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectContractCluster, type ContractCluster } from './support/contract-cluster.ts';
import { jobManifest, statusOf } from './support/jobs.ts';
import { waitFor } from './support/wait-for.ts';

let cluster: ContractCluster;
beforeAll(async () => {
  cluster = await connectContractCluster('pods');
});
afterAll(async () => {
  await cluster?.stop();
});

const podsPath = (): string => `/api/v1/namespaces/${cluster.namespace}/pods`;
const eventsPath = (): string => `/api/v1/namespaces/${cluster.namespace}/events`;

interface RawContainerState {
  waiting?: { reason?: string; message?: string };
  terminated?: { exitCode?: number; reason?: string };
}

function mainState(pod: V1Pod): RawContainerState | undefined {
  return pod.status?.containerStatuses?.[0]?.state as RawContainerState | undefined;
}

/** Starts a one-pod Job with the given behaviour annotations and waits until its pod satisfies `predicate`. */
async function podOfJob(
  name: string,
  annotations: Record<string, string>,
  predicate: (pod: V1Pod) => boolean,
): Promise<V1Pod> {
  await cluster.batch.createNamespacedJob({
    namespace: cluster.namespace,
    body: jobManifest({ name, backoffLimit: 0, annotations }),
  });
  return waitFor<V1Pod>(
    cluster.kubeConfig,
    podsPath(),
    { labelSelector: `batch.kubernetes.io/job-name=${name}` },
    predicate,
  );
}

function waitForEvent(involvedName: string, reason: string): Promise<CoreV1Event> {
  return waitFor<CoreV1Event>(
    cluster.kubeConfig,
    eventsPath(),
    { fieldSelector: `involvedObject.name=${involvedName}` },
    (event) => event.reason === reason,
  );
}

describe('pod outcomes', () => {
  it('reports a non-zero exit as phase Failed with a terminated Error state and the exit code', async () => {
    const pod = await podOfJob(
      'exits-7',
      { 'sim.kubedispatch.io/exit-code': '7', 'sim.kubedispatch.io/duration': '50ms' },
      (p) => p.status?.phase === 'Failed',
    );
    expect(mainState(pod)?.terminated).toMatchObject({ exitCode: 7, reason: 'Error' });
  });

  it('reports an out-of-memory kill as terminated OOMKilled', async () => {
    const pod = await podOfJob(
      'oom',
      { 'sim.kubedispatch.io/behavior': 'oom-killed', 'sim.kubedispatch.io/duration': '50ms' },
      (p) => p.status?.phase === 'Failed',
    );
    expect(mainState(pod)?.terminated?.reason).toBe('OOMKilled');
  });

  it('reports an image that cannot be pulled as waiting ErrImagePull or ImagePullBackOff, and stays Pending', async () => {
    const pod = await podOfJob(
      'no-image',
      { 'sim.kubedispatch.io/behavior': 'image-pull-backoff' },
      (p) => mainState(p)?.waiting?.reason === 'ImagePullBackOff',
    );
    expect(pod.status?.phase).toBe('Pending');
  });

  it('reports a missing config reference as waiting CreateContainerConfigError', async () => {
    const pod = await podOfJob(
      'bad-config',
      { 'sim.kubedispatch.io/behavior': 'create-container-config-error' },
      (p) => mainState(p)?.waiting?.reason === 'CreateContainerConfigError',
    );
    expect(pod.status?.phase).toBe('Pending');
    expect(mainState(pod)?.waiting?.message).toBeTruthy();
  });

  it('keeps an unschedulable pod Pending with PodScheduled=False and a FailedScheduling event from the scheduler', async () => {
    const pod = await podOfJob('nowhere-to-run', { 'sim.kubedispatch.io/behavior': 'unschedulable' }, (p) =>
      (p.status?.conditions ?? []).some((item) => item.type === 'PodScheduled' && item.status === 'False'),
    );
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.status?.conditions?.find((item) => item.type === 'PodScheduled')?.reason).toBe('Unschedulable');
    const event = await waitForEvent(pod.metadata?.name as string, 'FailedScheduling');
    expect(event.type).toBe('Warning');
    expect(event.message).toMatch(/^0\/\d+ nodes are available/);
  });
});

describe('logs and events', () => {
  it('serves the container log with tailLines', async () => {
    const pod = await podOfJob(
      'chatty',
      { 'sim.kubedispatch.io/logs': 'first line\nsecond line\nthird line', 'sim.kubedispatch.io/duration': '50ms' },
      (p) => p.status?.phase === 'Succeeded',
    );
    const name = pod.metadata?.name as string;
    expect(await cluster.core.readNamespacedPodLog({ namespace: cluster.namespace, name })).toBe(
      'first line\nsecond line\nthird line\n',
    );
    expect(await cluster.core.readNamespacedPodLog({ namespace: cluster.namespace, name, tailLines: 2 })).toBe(
      'second line\nthird line\n',
    );
  });

  it('answers a log request for a container that never started with 400', async () => {
    const pod = await podOfJob(
      'never-starts',
      { 'sim.kubedispatch.io/behavior': 'image-pull-backoff' },
      (p) => mainState(p)?.waiting?.reason === 'ImagePullBackOff',
    );
    const error = await cluster.core
      .readNamespacedPodLog({ namespace: cluster.namespace, name: pod.metadata?.name as string })
      .catch((thrown: unknown) => thrown);
    expect(statusOf(error)).toMatchObject({ code: 400, reason: 'BadRequest' });
  });

  it('records the Job controller and kubelet events of a run', async () => {
    const pod = await podOfJob(
      'eventful',
      { 'sim.kubedispatch.io/duration': '50ms' },
      (p) => p.status?.phase === 'Succeeded',
    );
    await waitForEvent('eventful', 'Completed');
    const jobEvents = await cluster.core.listNamespacedEvent({
      namespace: cluster.namespace,
      fieldSelector: 'involvedObject.name=eventful',
    });
    expect(jobEvents.items.map((event) => event.reason)).toEqual(
      expect.arrayContaining(['SuccessfulCreate', 'Completed']),
    );
    await waitForEvent(pod.metadata?.name as string, 'Started');
    const podEvents = await cluster.core.listNamespacedEvent({
      namespace: cluster.namespace,
      fieldSelector: `involvedObject.name=${pod.metadata?.name}`,
    });
    expect(podEvents.items.map((event) => event.reason)).toEqual(expect.arrayContaining(['Scheduled', 'Started']));
    expect(
      podEvents.items.every(
        (event) => event.involvedObject.kind === 'Pod' && event.involvedObject.uid === pod.metadata?.uid,
      ),
    ).toBe(true);
  });
});
