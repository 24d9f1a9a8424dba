/**
 * The dispatch flow end to end on the real control plane (npm run test:cluster): the real dispatcher and
 * watcher, authenticated as the kubedispatch service account of k8s/rbac.yaml (so the least-privilege Role
 * is shown to be enough in practice), run a small pipeline whose Jobs the real Job controller, scheduler
 * and kwok's fake nodes carry out.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  loadAllYaml,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createWatcher, type Watcher } from '../../src/watch/watcher.ts';
import { dispatchHarness, type DispatchHarness } from '../dispatch/support/harness.ts';

const kubeconfigPath = process.env['KUBEDISPATCH_CONTRACT_KUBECONFIG'];
const rbacFile = fileURLToPath(new URL('../../k8s/rbac.yaml', import.meta.url));

describe.skipIf(!kubeconfigPath)('dispatch flow on a real control plane, as the kubedispatch service account', () => {
  const namespace = `kd-e2e-${Date.now().toString(36)}`;
  const admin = new KubeConfig();
  const dir = mkdtempSync(join(tmpdir(), 'kd-cluster-e2e-'));
  const saKubeconfigPath = join(dir, 'kubedispatch-sa.kubeconfig');
  let h: DispatchHarness;
  let watcher: Watcher | undefined;

  beforeAll(async () => {
    admin.loadFromFile(kubeconfigPath!);
    const core = admin.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const api = KubernetesObjectApi.makeApiClient(admin);
    for (const obj of loadAllYaml(readFileSync(rbacFile, 'utf8')) as KubernetesObject[]) {
      obj.metadata!.namespace = namespace;
      for (const s of (obj as { subjects?: { namespace?: string }[] }).subjects ?? []) s.namespace = namespace;
      await api.create(obj);
    }
    const token = await core.createNamespacedServiceAccountToken({
      name: 'kubedispatch',
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const cluster = admin.getCurrentCluster()!;
    const sa = new KubeConfig();
    sa.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'kubedispatch-sa', token: token.status!.token }],
      contexts: [{ name: 'sa', cluster: cluster.name, user: 'kubedispatch-sa', namespace }],
      currentContext: 'sa',
    });
    writeFileSync(saKubeconfigPath, sa.exportConfig(), { mode: 0o600 });
    h = await dispatchHarness();
  });

  afterAll(async () => {
    await watcher?.stop();
    await h?.cleanup();
    await admin
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: namespace })
      .catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs a DAG to its outcome: upstream succeeds, a failing block fails the run with the Job controller's reason", async () => {
    const env = { KUBECONFIG: saKubeconfigPath, KUBEDISPATCH_NAMESPACES: namespace };
    const settings = loadSettings(h.env(env));
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(saKubeconfigPath);
    watcher = createWatcher({
      settings,
      kubeConfig,
      redis: h.redis.connect(),
      logger: createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent', 'cluster-e2e'),
    });
    watcher.start();
    await h.startDispatcher(env);

    const runId = await h.createRun(
      h.project(
        [
          { uuid: 'extract', namespace },
          { uuid: 'load', namespace, upstream: ['extract'], annotations: { 'sim.kubedispatch.io/exit-code': '3' } },
        ],
        'e2e',
      ),
    );
    const run = await h.waitForRun(runId, 120_000);
    expect(run.blocks.map((b) => [b.blockUuid, b.state])).toEqual([
      ['extract', 'succeeded'],
      ['load', 'failed'],
    ]);
    expect(run.state).toBe('failed');
    expect(run.blocks.find((b) => b.blockUuid === 'load')?.reason).toBe('BackoffLimitExceeded');
    // The Jobs ran on the real cluster (not on the harness's simulation), under their design names: the
    // watcher may already have cleaned the finished Jobs up, but the Job controller's events remain.
    const events = await admin
      .makeApiClient(CoreV1Api)
      .listNamespacedEvent({ namespace, fieldSelector: 'reason=SuccessfulCreate' });
    const jobNames = new Set(
      events.items.filter((e) => e.involvedObject.kind === 'Job').map((e) => e.involvedObject.name),
    );
    expect([...jobNames].sort()).toEqual(run.blocks.map((b) => `mage-e2e-block-${b.blockRunId}`).sort());
    expect(h.sim.stats().byVerbResource['create jobs'] ?? 0).toBe(0);
  }, 150_000);
});
