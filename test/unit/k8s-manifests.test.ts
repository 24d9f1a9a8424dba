/**
 * The shipped manifests (k8s/) agree with each other and with the settings schema: what the
 * processes are told to watch and where Jobs go is what the Role allows, and the probes reach the
 * metrics listener. (test/cluster/rbac.test.ts proves the Role itself on a real API server.)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { loadSettings, type Settings } from '../../src/config/settings.ts';
import { isLoopbackHost } from '../../src/http/auth.ts';
import { DEFAULT_SSE_LIMITS } from '../../src/http/sse-stream.ts';

interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  [field: string]: unknown;
}

interface Container {
  args: string[];
  resources?: { limits?: { memory?: string } };
  env?: { name: string; value?: string }[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: { httpGet: { path: string; port: string } };
  readinessProbe?: { httpGet: { path: string; port: string } };
}

interface Deployment extends K8sObject {
  spec: { template: { spec: { serviceAccountName: string; containers: Container[] } } };
}

const manifest = (file: string): K8sObject[] =>
  loadAll(readFileSync(fileURLToPath(new URL(`../../k8s/${file}`, import.meta.url)), 'utf8')) as K8sObject[];
const main = manifest('kubedispatch.yaml');
const rbac = manifest('rbac.yaml');
const ofKind = <T extends K8sObject>(objects: K8sObject[], kind: string): T[] =>
  objects.filter((object) => object.kind === kind) as T[];

/** The settings every process gets: the ConfigMap's file, loaded as the processes load it (strictly). */
function shippedSettings(): Settings {
  const [configMap] = ofKind<K8sObject & { data: Record<string, string> }>(main, 'ConfigMap');
  const dir = mkdtempSync(join(tmpdir(), 'kd-manifests-'));
  try {
    const file = join(dir, 'kubedispatch.yaml');
    writeFileSync(file, configMap!.data['kubedispatch.yaml']!);
    return loadSettings({}, file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('k8s manifests', () => {
  const settings = shippedSettings();
  const deployments = ofKind<Deployment>(main, 'Deployment');
  const [serviceAccount] = ofKind(rbac, 'ServiceAccount');
  const roles = ofKind(rbac, 'Role');
  const [binding] = ofKind<
    K8sObject & { subjects: { kind: string; name: string; namespace: string }[]; roleRef: { name: string } }
  >(rbac, 'RoleBinding');
  const role = (name: string) =>
    deployments.find((deployment) => deployment.spec.template.spec.containers[0]!.args[0] === name)!;
  const env = (deployment: Deployment, name: string) =>
    deployment.spec.template.spec.containers[0]!.env?.find((entry) => entry.name === name)?.value;

  it("has a Deployment per process, all in the service account's namespace and running as it", () => {
    expect(deployments.map((deployment) => deployment.spec.template.spec.containers[0]!.args[0]).sort()).toEqual([
      'dashboard',
      'dispatcher',
      'scheduler',
      'watcher',
    ]);
    for (const deployment of deployments) {
      expect(deployment.metadata.namespace).toBe(serviceAccount!.metadata.namespace);
      expect(deployment.spec.template.spec.serviceAccountName).toBe(serviceAccount!.metadata.name);
    }
  });

  it('watches, and sends Jobs to, exactly the namespaces the Role is granted in', () => {
    expect(settings.kube.namespaces.length).toBeGreaterThan(0);
    expect(roles.map((object) => object.metadata.namespace).sort()).toEqual([...settings.kube.namespaces].sort());
    expect(binding!.metadata.namespace).toBe(roles[0]!.metadata.namespace);
    expect(binding!.roleRef.name).toBe(roles[0]!.metadata.name);
    expect(binding!.subjects).toEqual([
      { kind: 'ServiceAccount', name: serviceAccount!.metadata.name, namespace: serviceAccount!.metadata.namespace },
    ]);
    // Run creators and dispatchers render with the same default namespace, one the watcher watches.
    for (const name of ['scheduler', 'dispatcher', 'dashboard'])
      expect(settings.kube.namespaces).toContain(env(role(name), 'KUBE_NAMESPACE'));
    const namespaces = ofKind(main, 'Namespace').map((object) => object.metadata.name);
    for (const needed of [serviceAccount!.metadata.namespace!, ...settings.kube.namespaces])
      expect(namespaces).toContain(needed);
  });

  it("keeps the dispatcher's own env (the Secret) out of the Jobs", () => {
    expect(settings.dispatcher.ownPodDefaults).toBe(false);
  });

  it('probes every process on a port that serves /healthz and /readyz, reachable from the kubelet', () => {
    expect(settings.metrics.port).toBeGreaterThan(0);
    expect(isLoopbackHost(settings.metrics.host)).toBe(false);
    for (const deployment of deployments) {
      const container = deployment.spec.template.spec.containers[0]!;
      const ports = new Map((container.ports ?? []).map((port) => [port.name, port.containerPort]));
      expect(ports.get('metrics'), deployment.metadata.name).toBe(settings.metrics.port);
      expect(container.livenessProbe?.httpGet.path).toBe('/healthz');
      expect(container.readinessProbe?.httpGet.path).toBe('/readyz');
      for (const probe of [container.livenessProbe!, container.readinessProbe!])
        expect(ports.has(probe.httpGet.port), deployment.metadata.name).toBe(true);
    }
  });

  it("holds what the dashboard's event streams may buffer for slow clients in half its memory limit", () => {
    const dashboard = deployments.find((deployment) =>
      deployment.spec.template.spec.containers[0]!.args.includes('dashboard'),
    )!;
    const limit = dashboard.spec.template.spec.containers[0]!.resources?.limits?.memory ?? '';
    expect(limit).toMatch(/^\d+Mi$/);
    const { maxStreams, maxBufferedBytes } = DEFAULT_SSE_LIMITS;
    expect(maxStreams * maxBufferedBytes).toBeLessThanOrEqual((Number.parseInt(limit, 10) * 1024 * 1024) / 2);
  });
});
