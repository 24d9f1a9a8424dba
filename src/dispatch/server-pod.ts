import { readFile } from 'node:fs/promises';
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import type { Env } from '../config/env.ts';
import { retryTransient, type ApiRetryPolicy } from '../k8s/api-retry.ts';
import { runsInCluster, SERVICE_ACCOUNT_DIR } from '../k8s/kube-config.ts';

/**
 * The dispatcher's own pod, which gives Jobs their image, env and mounts where the executor config
 * is silent (like Mage, which reads its server pod). Undefined out of a cluster.
 */
export async function fetchServerPod(core: CoreV1Api, env: Env, retry: ApiRetryPolicy): Promise<V1Pod | undefined> {
  const name = env['HOSTNAME'];
  if (!runsInCluster(env) || !name) return undefined;
  const namespace = (await readFile(`${SERVICE_ACCOUNT_DIR}/namespace`, 'utf8')).trim();
  return retryTransient(`read own pod ${namespace}/${name}`, () => core.readNamespacedPod({ name, namespace }), retry);
}
