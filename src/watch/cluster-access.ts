import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { createKubeClients, type KubeClients } from '../k8s/api-clients.ts';
import { classifyApiError } from '../k8s/api-error.ts';
import type { WarningEvent } from './outcome-decision.ts';
import type { ResourceKind } from './object-cache.ts';
import { MANAGED_BY_SELECTOR } from './slim-objects.ts';
import { rawPath, rawString } from './raw-fields.ts';

export interface ListPage {
  items: unknown[];
  resourceVersion: string;
  continueToken: string | undefined;
}

export type WatchEventHandler = (type: string, object: unknown) => void;

export interface WatchHandle {
  abort(): void;
}

/** The Kubernetes calls the watcher makes; an interface so the loops can be tested without a cluster. */
export interface ClusterAccess {
  /** One page of kubedispatch's Jobs or Pods in `namespace` (all namespaces when undefined). */
  list(kind: ResourceKind, namespace: string | undefined, continueToken: string | undefined): Promise<ListPage>;
  /**
   * Watches from `resourceVersion` with bookmarks. `done` is called exactly once when the stream
   * ends: with no error for a normal close, with a `TimeoutError` after `idleTimeoutMs` of silence.
   */
  watch(kind: ResourceKind, namespace: string | undefined, resourceVersion: string, onEvent: WatchEventHandler, done: (error: Error | undefined) => void): Promise<WatchHandle>;
  /** False only when the API says the Job does not exist (404). */
  jobExists(namespace: string, name: string): Promise<boolean>;
  /** Deletes with propagation Background so its pods go too; a missing Job is not an error. */
  deleteJob(namespace: string, name: string): Promise<void>;
  podLogTail(namespace: string, pod: string, container: string, lines: number): Promise<string[]>;
  warningEvents(namespace: string, kind: 'Job' | 'Pod', name: string): Promise<WarningEvent[]>;
}

const PAGE_SIZE = 500;
// The API server ends watches after this (client-go picks 5–10 minutes at random) so that
// load spreads when many watchers reconnect; we resume from the last resourceVersion.
const WATCH_SERVER_TIMEOUT_SECONDS = 300;

function collectionPath(kind: ResourceKind, namespace: string | undefined): string {
  const base = kind === 'jobs' ? '/apis/batch/v1' : '/api/v1';
  return namespace === undefined ? `${base}/${kind}` : `${base}/namespaces/${encodeURIComponent(namespace)}/${kind}`;
}

function isNotFound(thrown: unknown, operation: string): boolean {
  return classifyApiError(thrown, operation).status === 404;
}

interface ListResult {
  items: unknown[];
  metadata?: { resourceVersion?: string; _continue?: string };
}

export class KubeClusterAccess implements ClusterAccess {
  readonly #clients: KubeClients;
  readonly #kubeConfig: KubeConfig;
  readonly #idleTimeoutMs: number;

  constructor(kubeConfig: KubeConfig, requestTimeoutMs: number, idleTimeoutMs: number) {
    this.#kubeConfig = kubeConfig;
    this.#clients = createKubeClients(kubeConfig, requestTimeoutMs);
    this.#idleTimeoutMs = idleTimeoutMs;
  }

  async list(kind: ResourceKind, namespace: string | undefined, continueToken: string | undefined): Promise<ListPage> {
    const query = { labelSelector: MANAGED_BY_SELECTOR, limit: PAGE_SIZE, _continue: continueToken };
    const { batch, core } = this.#clients;
    let result: ListResult;
    try {
      if (kind === 'jobs') {
        result = namespace === undefined ? await batch.listJobForAllNamespaces(query) : await batch.listNamespacedJob({ ...query, namespace });
      } else {
        result = namespace === undefined ? await core.listPodForAllNamespaces(query) : await core.listNamespacedPod({ ...query, namespace });
      }
    } catch (thrown) {
      throw classifyApiError(thrown, `list ${kind} in ${namespace ?? 'all namespaces'}`);
    }
    return { items: result.items, resourceVersion: result.metadata?.resourceVersion ?? '', continueToken: result.metadata?._continue || undefined };
  }

  async watch(kind: ResourceKind, namespace: string | undefined, resourceVersion: string, onEvent: WatchEventHandler, done: (error: Error | undefined) => void): Promise<WatchHandle> {
    const watch = new Watch(this.#kubeConfig);
    // Watch's (private, 30 s) timeout covers the connect and then every gap between chunks: it is
    // our idle timeout, and must be longer than the API server's bookmark interval (~1 min).
    (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = this.#idleTimeoutMs;
    const query = { labelSelector: MANAGED_BY_SELECTOR, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: WATCH_SERVER_TIMEOUT_SECONDS };
    const controller = await watch.watch(collectionPath(kind, namespace), query, onEvent, (error: unknown) => done(error ? (error as Error) : undefined));
    return { abort: () => controller.abort() };
  }

  async jobExists(namespace: string, name: string): Promise<boolean> {
    const operation = `read Job ${namespace}/${name}`;
    try {
      await this.#clients.batch.readNamespacedJob({ namespace, name });
      return true;
    } catch (thrown) {
      if (isNotFound(thrown, operation)) return false;
      throw classifyApiError(thrown, operation);
    }
  }

  async deleteJob(namespace: string, name: string): Promise<void> {
    const operation = `delete Job ${namespace}/${name}`;
    try {
      await this.#clients.batch.deleteNamespacedJob({ namespace, name, propagationPolicy: 'Background' });
    } catch (thrown) {
      if (!isNotFound(thrown, operation)) throw classifyApiError(thrown, operation);
    }
  }

  async podLogTail(namespace: string, pod: string, container: string, lines: number): Promise<string[]> {
    let text: string;
    try {
      text = await this.#clients.core.readNamespacedPodLog({ namespace, name: pod, container, tailLines: lines });
    } catch (thrown) {
      throw classifyApiError(thrown, `read log of ${namespace}/${pod} container ${container}`);
    }
    const all = text.split('\n');
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines);
  }

  async warningEvents(namespace: string, kind: 'Job' | 'Pod', name: string): Promise<WarningEvent[]> {
    const fieldSelector = `involvedObject.kind=${kind},involvedObject.name=${name},type=Warning`;
    let items: unknown[];
    try {
      items = (await this.#clients.core.listNamespacedEvent({ namespace, fieldSelector })).items;
    } catch (thrown) {
      throw classifyApiError(thrown, `list events of ${kind} ${namespace}/${name}`);
    }
    return items.map((event) => ({
      object: `${kind}/${name}`,
      reason: rawString(rawPath(event, 'reason')) ?? 'Unknown',
      message: rawString(rawPath(event, 'message')) ?? '',
    }));
  }
}
