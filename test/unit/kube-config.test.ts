import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKubeConfig } from '../../src/k8s/kube-config.ts';

const KUBECONFIG = [
  'apiVersion: v1',
  'kind: Config',
  'clusters: [{ name: c, cluster: { server: "https://127.0.0.1:6443" } }]',
  'users: [{ name: u, user: { token: t } }]',
  'contexts: [{ name: x, context: { cluster: c, user: u } }]',
  'current-context: x',
].join('\n');

const emptyHome = () => mkdtempSync(join(tmpdir(), 'kd-home-'));

describe('createKubeConfig', () => {
  it('with no kubeconfig anywhere and outside a cluster, says how to configure one', () => {
    // Not client-node's invented http://localhost:8080 cluster, which fails later about TLS.
    expect(() => createKubeConfig(undefined, { HOME: emptyHome() })).toThrow(
      /no Kubernetes cluster configured: pass --kubeconfig, set KUBECONFIG or kube\.kubeconfig .*~\/\.kube\/config.*run in a cluster/,
    );
    expect(() => createKubeConfig(undefined, {})).toThrow(/no Kubernetes cluster configured/);
  });

  it('uses ~/.kube/config of the given HOME when no file is named', () => {
    const home = emptyHome();
    mkdirSync(join(home, '.kube'));
    writeFileSync(join(home, '.kube', 'config'), KUBECONFIG);
    expect(createKubeConfig(undefined, { HOME: home }).getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
  });

  it('rejects a kubeconfig without a current cluster with the same advice', () => {
    const file = join(emptyHome(), 'config');
    writeFileSync(file, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
    expect(() => createKubeConfig(file, {})).toThrow(/no Kubernetes cluster configured.*no current context/);
  });

  it('names an explicit file that does not exist', () => {
    expect(() => createKubeConfig('/nonexistent/kubeconfig', {})).toThrow(
      /kubeconfig \/nonexistent\/kubeconfig not found/,
    );
  });
});
