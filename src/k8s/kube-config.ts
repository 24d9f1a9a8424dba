import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Env } from '../config/env.ts';
import { reuseConnections } from './reuse-connections.ts';

/** Where a pod's service account token is mounted; its presence means we run inside a cluster. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export const NO_CLUSTER_MESSAGE =
  'no Kubernetes cluster configured: pass --kubeconfig, set KUBECONFIG or kube.kubeconfig in the settings file, create ~/.kube/config, or run in a cluster';

/**
 * Resolves the kubeconfig: an explicit file (`--kubeconfig`, or `KUBECONFIG` through the
 * settings), else the in-cluster service account, else ~/.kube/config; requests made through it
 * share keep-alive connections.
 */
export function createKubeConfig(path: string | undefined, env: Env): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (path) {
    if (!existsSync(path)) throw new Error(`kubeconfig ${path} not found (check --kubeconfig or KUBECONFIG)`);
    kubeConfig.loadFromFile(path);
  } else if (runsInCluster(env)) {
    kubeConfig.loadFromCluster();
  } else {
    // Not client-node's loadFromDefault(): finding nothing, it invents a cluster at
    // http://localhost:8080, and every request then fails with a message about TLS instead of this one.
    const file = defaultKubeconfigFile(env);
    if (!file) throw new Error(NO_CLUSTER_MESSAGE);
    kubeConfig.loadFromFile(file);
  }
  if (!kubeConfig.getCurrentCluster())
    throw new Error(`${NO_CLUSTER_MESSAGE} (the kubeconfig found has no current context with a cluster)`);
  return reuseConnections(kubeConfig);
}

export function runsInCluster(env: Env): boolean {
  return Boolean(env['KUBERNETES_SERVICE_HOST']) && existsSync(`${SERVICE_ACCOUNT_DIR}/token`);
}

/** ~/.kube/config when it exists (kubectl's default; `KUBECONFIG` reaches us as `path`). */
function defaultKubeconfigFile(env: Env): string | undefined {
  const home = env['HOME'];
  if (!home) return undefined;
  const file = join(home, '.kube', 'config');
  return existsSync(file) ? file : undefined;
}
