import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import type { Env } from '../config/env.ts';
import { reuseConnections } from './reuse-connections.ts';

/** Where a pod's service account token is mounted; its presence means we run inside a cluster. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Resolves the kubeconfig: an explicit file (`--kubeconfig`, or `KUBECONFIG` through the
 * settings), else the in-cluster service account, else the client's default (~/.kube/config);
 * requests made through it share keep-alive connections.
 */
export function createKubeConfig(path: string | undefined, env: Env): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (path) {
    if (!existsSync(path)) throw new Error(`kubeconfig ${path} not found (check --kubeconfig or KUBECONFIG)`);
    kubeConfig.loadFromFile(path);
  } else if (runsInCluster(env)) {
    kubeConfig.loadFromCluster();
  } else {
    kubeConfig.loadFromDefault();
  }
  if (!kubeConfig.getCurrentCluster()) throw new Error('no Kubernetes cluster configured: pass --kubeconfig, set KUBECONFIG or run in a cluster');
  return reuseConnections(kubeConfig);
}

export function runsInCluster(env: Env): boolean {
  return Boolean(env['KUBERNETES_SERVICE_HOST']) && existsSync(`${SERVICE_ACCOUNT_DIR}/token`);
}
