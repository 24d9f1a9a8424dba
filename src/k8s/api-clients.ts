import {
  BatchV1Api,
  CoreV1Api,
  ServerConfiguration,
  createConfiguration,
  type Configuration,
  type KubeConfig,
} from '@kubernetes/client-node';
import type { Env } from '../config/env.ts';
import { createKubeConfig } from './kube-config.ts';
import { requestTimeout } from './request-timeout.ts';

/** The Job calls kubedispatch makes (dispatcher, watcher, cancel, demo): all a fake has to implement. */
export type JobCalls = Pick<BatchV1Api, 'createNamespacedJob' | 'readNamespacedJob' | 'deleteNamespacedJob' | 'listJobForAllNamespaces'>;

/** The pod, log and Event calls kubedispatch makes. */
export type PodCalls = Pick<CoreV1Api, 'readNamespacedPod' | 'readNamespacedPodLog' | 'listNamespacedEvent' | 'createNamespacedEvent'>;

/** kubedispatch's one way to the Kubernetes API; every process opens it with `openKubeClients`. */
export interface KubeClients {
  /** For what the typed clients cannot do lean enough: the watcher's raw lists and watches. */
  kubeConfig: KubeConfig;
  batch: JobCalls;
  core: PodCalls;
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
  return { kubeConfig, batch: new BatchV1Api(configuration()), core: new CoreV1Api(configuration()) };
}

export interface KubeAccessOptions {
  /** A kubeconfig file (`--kubeconfig`, `kube.kubeconfig`); else in-cluster, else ~/.kube/config. */
  kubeconfig: string | undefined;
  requestTimeoutMs: number;
}

/** Resolves the kubeconfig (see createKubeConfig) and opens the clients on it. */
export function openKubeClients(options: KubeAccessOptions, env: Env): KubeClients {
  return createKubeClients(createKubeConfig(options.kubeconfig || undefined, env), options.requestTimeoutMs);
}
