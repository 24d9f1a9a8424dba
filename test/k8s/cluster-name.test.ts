import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.ts';
import { openCluster } from '../../src/k8s/open-cluster.ts';
import { kubeconfigYaml } from '../../src/sim/kubeconfig.ts';

function kubeConfigNamed(name: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(kubeconfigYaml('http://127.0.0.1:1', name));
  return kubeConfig;
}

describe('the cluster name attempts record', () => {
  it("is the kubeconfig's current cluster without kube.clusterName", () => {
    expect(openCluster(loadSettings({}), {}, { kubeConfig: kubeConfigNamed('staging-eu') }).name).toBe('staging-eu');
  });

  it('is kube.clusterName (KUBEDISPATCH_CLUSTER_NAME) when set', () => {
    const settings = loadSettings({ KUBEDISPATCH_CLUSTER_NAME: 'prod-eu-1' });
    expect(openCluster(settings, {}, { kubeConfig: kubeConfigNamed('inCluster') }).name).toBe('prod-eu-1');
  });
});
