/**
 * Proves on a real kube-apiserver (RBAC authorizer) that k8s/rbac.yaml gives kubedispatch's service
 * account everything the dispatcher and watcher need in the Jobs' namespace and nothing more, and
 * nothing at all in its own. Runs only in `npm run test:cluster` (KUBEDISPATCH_CONTRACT_KUBECONFIG
 * points at the real control plane from test/cluster/up.sh).
 *
 * The manifests are applied into two fresh namespaces standing in for `kubedispatch` (the service
 * account's) and `kubedispatch-jobs` (the Jobs'); the checks run *as the service account*, with a token
 * issued for it by the TokenRequest API: SelfSubjectAccessReview for each verb, SelfSubjectRulesReview
 * for the complete rule set, and real requests for the main operations.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  AuthorizationV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  loadAllYaml,
  type KubernetesObject,
  type V1ResourceAttributes,
  type V1ResourceRule,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const kubeconfigPath = process.env['KUBEDISPATCH_CONTRACT_KUBECONFIG'];
const rbacFile = fileURLToPath(new URL('../../k8s/rbac.yaml', import.meta.url));

/** Namespace of an access check: the Jobs' namespace unless it says otherwise ('' is cluster-wide). */
type Access = Pick<V1ResourceAttributes, 'verb' | 'group' | 'resource' | 'subresource'> & {
  namespace?: string;
  own?: true;
};

/** Everything the dispatcher, the watcher and the cancelling processes do on the API, in the Jobs' namespace. */
const NEEDED: Access[] = [
  ...['create', 'get', 'list', 'watch', 'delete'].map((verb) => ({ verb, group: 'batch', resource: 'jobs' })),
  ...['list', 'watch'].map((verb) => ({ verb, group: '', resource: 'pods' })),
  { verb: 'get', group: '', resource: 'pods', subresource: 'log' },
  { verb: 'list', group: '', resource: 'events' },
  // The watcher's OrphanedJob Warning Event on a Job whose run no longer exists.
  { verb: 'create', group: '', resource: 'events' },
];

/** Things a compromised or buggy kubedispatch must not be able to do. */
const FORBIDDEN: Access[] = [
  { verb: 'create', group: '', resource: 'pods' },
  { verb: 'delete', group: '', resource: 'pods' },
  { verb: 'deletecollection', group: '', resource: 'pods' },
  { verb: 'create', group: '', resource: 'pods', subresource: 'exec' },
  { verb: 'create', group: '', resource: 'pods', subresource: 'eviction' },
  { verb: 'update', group: 'batch', resource: 'jobs' },
  { verb: 'patch', group: 'batch', resource: 'jobs' },
  { verb: 'update', group: 'batch', resource: 'jobs', subresource: 'status' },
  { verb: 'deletecollection', group: 'batch', resource: 'jobs' },
  { verb: 'create', group: 'batch', resource: 'cronjobs' },
  { verb: 'get', group: '', resource: 'secrets' },
  { verb: 'list', group: '', resource: 'secrets' },
  { verb: 'get', group: '', resource: 'configmaps' },
  { verb: 'create', group: '', resource: 'serviceaccounts', subresource: 'token' },
  { verb: 'create', group: 'apps', resource: 'deployments' },
  { verb: 'create', group: 'coordination.k8s.io', resource: 'leases' },
  { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'roles' },
  { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'rolebindings' },
  { verb: 'escalate', group: 'rbac.authorization.k8s.io', resource: 'roles' },
  { verb: 'bind', group: 'rbac.authorization.k8s.io', resource: 'clusterroles' },
  { verb: 'impersonate', group: '', resource: 'serviceaccounts' },
  { verb: 'delete', group: '', resource: 'namespaces', namespace: '' },
  { verb: 'create', group: '', resource: 'namespaces', namespace: '' },
  { verb: 'list', group: '', resource: 'nodes', namespace: '' },
  // Only the dispatcher's own pod is ever read one by one, and not with the shipped settings.
  { verb: 'get', group: '', resource: 'pods' },
  { verb: 'watch', group: '', resource: 'events' },
  // Cluster-wide and other namespaces: the Role is namespaced.
  { verb: 'list', group: 'batch', resource: 'jobs', namespace: '' },
  { verb: 'create', group: 'batch', resource: 'jobs', namespace: 'default' },
  { verb: 'list', group: '', resource: 'pods', namespace: 'kube-system' },
  // Its own namespace holds kubedispatch's Secret and pods: nothing there.
  { verb: 'create', group: 'batch', resource: 'jobs', own: true },
  { verb: 'list', group: 'batch', resource: 'jobs', own: true },
  { verb: 'get', group: '', resource: 'pods', own: true },
  { verb: 'list', group: '', resource: 'pods', own: true },
  { verb: 'get', group: '', resource: 'secrets', own: true },
];

const label = (a: Access) =>
  `${a.verb} ${a.group ? a.group + '/' : ''}${a.resource}${a.subresource ? '/' + a.subresource : ''}` +
  (a.own
    ? ' in its own namespace'
    : a.namespace === undefined
      ? ''
      : a.namespace === ''
        ? ' (cluster-wide)'
        : ` in ${a.namespace}`);

/** The namespaces the manifests name, and the fresh ones that stand in for them. */
const SHIPPED_HOME = 'kubedispatch';
const SHIPPED_JOBS = 'kubedispatch-jobs';

describe.skipIf(!kubeconfigPath)('k8s/rbac.yaml on a real API server', () => {
  const home = `kd-rbac-${Date.now().toString(36)}`;
  const namespace = `${home}-jobs`;
  const standIn = (shipped: string | undefined): string => {
    if (shipped === SHIPPED_HOME) return home;
    if (shipped === SHIPPED_JOBS) return namespace;
    throw new Error(`k8s/rbac.yaml names namespace ${shipped}; this test knows ${SHIPPED_HOME} and ${SHIPPED_JOBS}`);
  };
  const admin = new KubeConfig();
  let asServiceAccount: KubeConfig;

  beforeAll(async () => {
    admin.loadFromFile(kubeconfigPath!);
    const core = admin.makeApiClient(CoreV1Api);
    for (const name of [home, namespace]) await core.createNamespace({ body: { metadata: { name } } });
    const objects = loadAllYaml(readFileSync(rbacFile, 'utf8')) as KubernetesObject[];
    const api = KubernetesObjectApi.makeApiClient(admin);
    for (const obj of objects) {
      obj.metadata!.namespace = standIn(obj.metadata!.namespace);
      const subjects = (obj as { subjects?: { namespace?: string }[] }).subjects;
      for (const s of subjects ?? []) s.namespace = standIn(s.namespace);
      await api.create(obj);
    }
    const token = await core.createNamespacedServiceAccountToken({
      name: 'kubedispatch',
      namespace: home,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const cluster = admin.getCurrentCluster()!;
    asServiceAccount = new KubeConfig();
    asServiceAccount.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'kubedispatch-sa', token: token.status!.token }],
      contexts: [{ name: 'sa', cluster: cluster.name, user: 'kubedispatch-sa', namespace }],
      currentContext: 'sa',
    });
  });

  afterAll(async () => {
    if (!kubeconfigPath) return;
    const core = admin.makeApiClient(CoreV1Api);
    for (const name of [home, namespace]) await core.deleteNamespace({ name }).catch(() => undefined);
  });

  async function allowed(a: Access): Promise<boolean> {
    const review = await asServiceAccount.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
      body: {
        spec: {
          resourceAttributes: {
            verb: a.verb,
            group: a.group,
            resource: a.resource,
            subresource: a.subresource,
            namespace: a.own ? home : (a.namespace ?? namespace),
          },
        },
      },
    });
    return review.status?.allowed === true;
  }

  /** The service account's rules in `ns`, as `group/resource:verb`, without the self-reviews every user has. */
  async function rulesIn(ns: string): Promise<string[]> {
    const review = await asServiceAccount.makeApiClient(AuthorizationV1Api).createSelfSubjectRulesReview({
      body: { spec: { namespace: ns } },
    });
    expect(review.status?.incomplete).toBe(false);
    // Every authenticated user may review its own access (system:basic-user); that is not ours.
    const selfReviews = new Set(['selfsubjectaccessreviews', 'selfsubjectrulesreviews', 'selfsubjectreviews']);
    return review
      .status!.resourceRules.flatMap((r: V1ResourceRule) =>
        (r.apiGroups ?? ['']).flatMap((g) =>
          (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`)),
        ),
      )
      .filter((rule) => !selfReviews.has(rule.split('/')[1]!.split(':')[0]!))
      .sort();
  }

  it('authenticates as the kubedispatch service account of its own namespace', async () => {
    const whoami = await fetchWhoAmI();
    expect(whoami).toBe(`system:serviceaccount:${home}:kubedispatch`);
  });

  it.each(NEEDED.map((a) => [label(a), a] as const))('can %s', async (_name, a) => {
    expect(await allowed(a)).toBe(true);
  });

  it.each(FORBIDDEN.map((a) => [label(a), a] as const))('cannot %s', async (_name, a) => {
    expect(await allowed(a)).toBe(false);
  });

  it("has exactly the needed rules in the Jobs' namespace and none in its own (SelfSubjectRulesReview)", async () => {
    expect(await rulesIn(namespace)).toEqual(
      [
        'batch/jobs:create',
        'batch/jobs:delete',
        'batch/jobs:get',
        'batch/jobs:list',
        'batch/jobs:watch',
        '/pods:list',
        '/pods:watch',
        '/pods/log:get',
        '/events:create',
        '/events:list',
      ].sort(),
    );
    expect(await rulesIn(home)).toEqual([]);
  });

  it('does the real operations: create/get/list/delete a Job, list pods and events; is refused pods and secrets', async () => {
    const batch = asServiceAccount.makeApiClient(BatchV1Api);
    const core = asServiceAccount.makeApiClient(CoreV1Api);
    const name = 'kd-rbac-probe';
    await batch.createNamespacedJob({
      namespace,
      body: {
        metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'kubedispatch' } },
        spec: {
          backoffLimit: 0,
          template: {
            metadata: { labels: { 'app.kubernetes.io/managed-by': 'kubedispatch' } },
            spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] },
          },
        },
      },
    });
    expect((await batch.readNamespacedJob({ name, namespace })).metadata?.name).toBe(name);
    const jobs = await batch.listNamespacedJob({
      namespace,
      labelSelector: 'app.kubernetes.io/managed-by=kubedispatch',
    });
    expect(jobs.items.map((j) => j.metadata?.name)).toEqual([name]);
    await core.listNamespacedPod({ namespace });
    await core.listNamespacedEvent({ namespace });
    await batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' });

    await expect(
      core.createNamespacedPod({
        namespace,
        body: { metadata: { name: 'direct' }, spec: { containers: [{ name: 'main', image: 'busybox' }] } },
      }),
    ).rejects.toMatchObject({ code: 403 });
    await expect(core.listNamespacedSecret({ namespace })).rejects.toMatchObject({ code: 403 });
    await expect(core.listNamespacedSecret({ namespace: home })).rejects.toMatchObject({ code: 403 });
    await expect(batch.listNamespacedJob({ namespace: home })).rejects.toMatchObject({ code: 403 });
    await expect(core.deleteNamespace({ name: namespace })).rejects.toMatchObject({ code: 403 });
    await expect(batch.listJobForAllNamespaces()).rejects.toMatchObject({ code: 403 });
  });

  /** authentication.k8s.io SelfSubjectReview: who the API server thinks we are. */
  async function fetchWhoAmI(): Promise<string | undefined> {
    const api = KubernetesObjectApi.makeApiClient(asServiceAccount);
    const review = (await api.create({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
      metadata: {},
    } as KubernetesObject)) as KubernetesObject & { status?: { userInfo?: { username?: string } } };
    return review.status?.userInfo?.username;
  }
});
