import {
  BatchV1Api,
  CoreV1Api,
  ServerConfiguration,
  createConfiguration,
  type Configuration,
  type KubeConfig,
} from '@kubernetes/client-node';
import { requestTimeout } from './request-timeout.ts';

export interface KubeClients {
  batch: BatchV1Api;
  core: CoreV1Api;
}

/**
 * Builds API clients like `KubeConfig.makeApiClient` does, plus a per-request timeout
 * (`makeApiClient` offers no way to add middleware).
 */
export function createKubeClients(kubeConfig: KubeConfig, requestTimeoutMs: number): KubeClients {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('no Kubernetes cluster configured in the kubeconfig');
  const configuration = (): Configuration =>
    createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kubeConfig },
      middleware: [requestTimeout(requestTimeoutMs)],
    });
  return { batch: new BatchV1Api(configuration()), core: new CoreV1Api(configuration()) };
}
