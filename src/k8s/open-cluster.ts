import type { KubeConfig } from '@kubernetes/client-node';
import type { Env } from '../config/env.ts';
import type { Settings } from '../config/settings.ts';
import type { Cluster } from './cluster.ts';
import { KubeCluster } from './kube-cluster.ts';
import { createKubeConfig } from './kube-config.ts';

export interface ClusterOverrides {
  /** `--kubeconfig`: wins over the settings' `kube.kubeconfig` (KUBECONFIG). */
  kubeconfigPath?: string | undefined;
  /** A kubeconfig already loaded (tests, the simulated cluster): wins over both paths. */
  kubeConfig?: KubeConfig;
}

/**
 * The one way a process reaches Kubernetes: the kubeconfig from `--kubeconfig`, else the settings'
 * `kube.kubeconfig`, else in-cluster, else ~/.kube/config (createKubeConfig), with the settings'
 * request and watch timeouts. Throws NO_CLUSTER_MESSAGE when none is configured.
 */
export function openCluster(settings: Settings, env: Env, overrides: ClusterOverrides = {}): Cluster {
  const kubeConfig =
    overrides.kubeConfig ?? createKubeConfig(overrides.kubeconfigPath || settings.kube.kubeconfig || undefined, env);
  return new KubeCluster(kubeConfig, {
    name: settings.kube.clusterName || kubeConfig.getCurrentCluster()?.name || '',
    requestTimeoutMs: settings.kube.requestTimeoutMs,
    watchIdleTimeoutMs: settings.watcher.watchIdleTimeoutMs,
  });
}
