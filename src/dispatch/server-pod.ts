import type { V1Pod } from '@kubernetes/client-node';
import type { Env } from '../config/env.ts';
import { retryTransient, type ApiRetryPolicy } from '../k8s/api-retry.ts';
import type { Cluster } from '../k8s/cluster.ts';
import { ownNamespace, runsInCluster } from '../k8s/service-account.ts';

/**
 * The dispatcher's own pod, which gives Jobs their image, env and mounts where the executor config
 * is silent (like Mage, which reads its server pod). Undefined out of a cluster.
 */
export async function fetchServerPod(cluster: Cluster, env: Env, retry: ApiRetryPolicy): Promise<V1Pod | undefined> {
  const name = env['HOSTNAME'];
  if (!runsInCluster(env) || !name) return undefined;
  const namespace = await ownNamespace();
  return retryTransient(`read own pod ${namespace}/${name}`, () => cluster.readPod(namespace, name), retry);
}
