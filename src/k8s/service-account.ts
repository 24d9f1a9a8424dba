import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Env } from '../config/env.ts';

/** Where Kubernetes mounts a pod's service account (token, CA, namespace); its token means we run inside a cluster. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export function runsInCluster(env: Env): boolean {
  return Boolean(env['KUBERNETES_SERVICE_HOST']) && existsSync(`${SERVICE_ACCOUNT_DIR}/token`);
}

/** The namespace of the pod this process runs in (only inside a cluster). */
export async function ownNamespace(): Promise<string> {
  return (await readFile(`${SERVICE_ACCOUNT_DIR}/namespace`, 'utf8')).trim();
}
