import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectContractCluster, type ContractCluster } from './support/contract-cluster.ts';
import { jobManifest, statusOf } from './support/jobs.ts';

let cluster: ContractCluster;
beforeAll(async () => {
  cluster = await connectContractCluster('api');
});
afterAll(async () => {
  await cluster?.stop();
});

async function createError(body: object): Promise<ReturnType<typeof statusOf>> {
  const error = await cluster.batch.createNamespacedJob({ namespace: cluster.namespace, body }).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error, 'the create should have been rejected').toBeDefined();
  return statusOf(error);
}

describe('Job create', () => {
  it('stores the Job as the API returns it: identity, defaults, generated selector and controller labels', async () => {
    const job = await cluster.batch.createNamespacedJob({
      namespace: cluster.namespace,
      body: jobManifest({ name: 'defaults', annotations: { 'sim.kubedispatch.io/duration': '100ms' } }),
    });
    const uid = job.metadata?.uid as string;
    expect(uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(job.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(job.metadata?.generation).toBe(1);
    expect(Number(job.metadata?.resourceVersion)).toBeGreaterThan(0);
    expect(job.spec).toMatchObject({
      parallelism: 1,
      completions: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
    });
    expect(job.spec?.selector?.matchLabels).toEqual({ 'batch.kubernetes.io/controller-uid': uid });
    expect(job.spec?.template.metadata?.labels).toMatchObject({
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': 'defaults',
      'controller-uid': uid,
      'job-name': 'defaults',
      'kubedispatch.io/contract': 'true',
    });
  });

  it('answers a second create of the same name with 409 AlreadyExists', async () => {
    const body = jobManifest({ name: 'twice' });
    await cluster.batch.createNamespacedJob({ namespace: cluster.namespace, body });
    const status = await createError(body);
    expect(status).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'AlreadyExists',
      code: 409,
      message: 'jobs.batch "twice" already exists',
      details: { name: 'twice', group: 'batch', kind: 'jobs' },
    });
  });

  it.each([
    ['a name that is not DNS-1123', jobManifest({ name: 'Not_A_Name' }), 'metadata.name'],
    // The name becomes the value of the job-name labels the API server puts on the pod template.
    ['a name longer than 63 characters', jobManifest({ name: `j${'x'.repeat(63)}` }), 'spec.template.labels'],
    [
      'a label value over 63 characters',
      jobManifest({ name: 'long-label', labels: { 'kubedispatch.io/trigger': 'v'.repeat(64) } }),
      'metadata.labels',
    ],
    [
      'a label value with odd characters',
      jobManifest({ name: 'odd-label', labels: { 'kubedispatch.io/trigger': 'has space' } }),
      'metadata.labels',
    ],
  ])('answers %s with 422 Invalid naming the field', async (_case, body, field) => {
    const status = await createError(body);
    expect(status.code).toBe(422);
    expect(status.reason).toBe('Invalid');
    expect(status.details?.causes?.map((cause) => cause.field)).toContain(field);
  });

  it('answers a container without image, and a Job without containers, with 422', async () => {
    const noImage = jobManifest({ name: 'no-image' });
    delete (noImage.spec?.template.spec?.containers[0] as { image?: string }).image;
    const status = await createError(noImage);
    expect(status.code).toBe(422);
    expect(status.details?.causes?.map((cause) => cause.field)).toContain('spec.template.spec.containers[0].image');
    expect(status.message).toContain('Required value');

    const noContainers = jobManifest({ name: 'no-containers' });
    (noContainers.spec?.template.spec as { containers: unknown[] }).containers = [];
    expect((await createError(noContainers)).details?.causes?.map((cause) => cause.field)).toContain(
      'spec.template.spec.containers',
    );
  });

  it('answers restartPolicy Always (the pod default) with 422', async () => {
    const body = jobManifest({ name: 'restart-always' });
    delete (body.spec?.template.spec as { restartPolicy?: string }).restartPolicy;
    const status = await createError(body);
    expect(status.code).toBe(422);
    expect(status.details?.causes?.map((cause) => cause.field)).toContain('spec.template.spec.restartPolicy');
  });

  it('answers a Job in a namespace that does not exist with 404', async () => {
    const error = await cluster.batch
      .createNamespacedJob({ namespace: `${cluster.namespace}-missing`, body: jobManifest({ name: 'nowhere' }) })
      .catch((thrown: unknown) => thrown);
    expect(statusOf(error)).toMatchObject({ code: 404, reason: 'NotFound', details: { kind: 'namespaces' } });
  });
});

describe('get and list', () => {
  it('answers a missing Job with 404 NotFound', async () => {
    const error = await cluster.batch
      .readNamespacedJob({ namespace: cluster.namespace, name: 'missing' })
      .catch((thrown: unknown) => thrown);
    expect(statusOf(error)).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      message: 'jobs.batch "missing" not found',
      details: { name: 'missing', group: 'batch', kind: 'jobs' },
    });
  });

  it('filters lists by label selector (=, !=, in, notin, exists, !exists) and by metadata.name', async () => {
    const ns = cluster.namespace;
    for (const [name, tier] of [
      ['sel-a', 'one'],
      ['sel-b', 'two'],
      ['sel-c', 'three'],
    ] as const) {
      await cluster.batch.createNamespacedJob({
        namespace: ns,
        body: jobManifest({ name, labels: { 'kubedispatch.io/tier': tier, 'kubedispatch.io/set': 'selectors' } }),
      });
    }
    const names = async (query: { labelSelector?: string; fieldSelector?: string }): Promise<string[]> => {
      const list = await cluster.batch.listNamespacedJob({ namespace: ns, ...query });
      expect(Number(list.metadata?.resourceVersion)).toBeGreaterThan(0);
      return list.items.map((job) => job.metadata?.name as string).sort();
    };
    const set = 'kubedispatch.io/set=selectors';
    expect(await names({ labelSelector: `${set},kubedispatch.io/tier=one` })).toEqual(['sel-a']);
    expect(await names({ labelSelector: `${set},kubedispatch.io/tier!=one` })).toEqual(['sel-b', 'sel-c']);
    expect(await names({ labelSelector: `${set},kubedispatch.io/tier in (one,three)` })).toEqual(['sel-a', 'sel-c']);
    expect(await names({ labelSelector: `${set},kubedispatch.io/tier notin (one,three)` })).toEqual(['sel-b']);
    expect(await names({ labelSelector: `${set},kubedispatch.io/tier` })).toEqual(['sel-a', 'sel-b', 'sel-c']);
    expect(await names({ labelSelector: `${set},!kubedispatch.io/tier` })).toEqual([]);
    expect(await names({ fieldSelector: 'metadata.name=sel-b' })).toEqual(['sel-b']);
  });

  it('pages a list with limit and continue', async () => {
    const ns = cluster.namespace;
    for (const name of ['page-1', 'page-2', 'page-3']) {
      await cluster.batch.createNamespacedJob({
        namespace: ns,
        body: jobManifest({ name, labels: { 'kubedispatch.io/set': 'paging' } }),
      });
    }
    const first = await cluster.batch.listNamespacedJob({
      namespace: ns,
      labelSelector: 'kubedispatch.io/set=paging',
      limit: 2,
    });
    expect(first.items).toHaveLength(2);
    expect(first.metadata?._continue).toBeTruthy();
    const rest = await cluster.batch.listNamespacedJob({
      namespace: ns,
      labelSelector: 'kubedispatch.io/set=paging',
      limit: 2,
      _continue: first.metadata?._continue as string,
    });
    expect([...first.items, ...rest.items].map((job) => job.metadata?.name)).toEqual(['page-1', 'page-2', 'page-3']);
  });
});
