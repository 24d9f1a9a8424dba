import {
  ApiException,
  createConfiguration,
  HttpMethod,
  RequestContext,
  Watch,
  type HttpLibrary,
  type KubeConfig,
} from '@kubernetes/client-node';
import { createKubeClients, type KubeClients } from '../k8s/api-clients.ts';
import { classifyApiError } from '../k8s/api-error.ts';
import { instanceSelector } from '../render/identity.ts';
import { deleteJob } from '../k8s/delete-job.ts';
import type { WarningEvent } from './outcome-decision.ts';
import type { ResourceKind } from './object-cache.ts';
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
  /** One page of this installation's Jobs or Pods in `namespace` (all namespaces when undefined). */
  list(kind: ResourceKind, namespace: string | undefined, continueToken: string | undefined): Promise<ListPage>;
  /**
   * Watches from `resourceVersion` with bookmarks. `done` is called exactly once when the stream
   * ends: with no error for a normal close, with a `TimeoutError` after `idleTimeoutMs` of silence.
   */
  watch(
    kind: ResourceKind,
    namespace: string | undefined,
    resourceVersion: string,
    onEvent: WatchEventHandler,
    done: (error: Error | undefined) => void,
  ): Promise<WatchHandle>;
  /** False only when the API says the Job does not exist (404). */
  jobExists(namespace: string, name: string): Promise<boolean>;
  /** Deletes with propagation Background so its pods go too; a missing Job is not an error. */
  deleteJob(namespace: string, name: string): Promise<void>;
  podLogTail(namespace: string, pod: string, container: string, lines: number): Promise<string[]>;
  warningEvents(namespace: string, kind: 'Job' | 'Pod', name: string): Promise<WarningEvent[]>;
  /** Records a Warning Event on a Job (`kubectl describe job` shows it). */
  warnOnJob(namespace: string, job: { name: string; uid: string }, reason: string, message: string): Promise<void>;
}

/** The `source.component` of the Events the watcher records. */
const EVENT_SOURCE = 'kubedispatch-watcher';

// Small pages keep the transient memory of a relist low (the benchmark tracks 10,000 Jobs).
const PAGE_SIZE = 250;
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
  items?: unknown[];
  metadata?: { resourceVersion?: string; continue?: string };
}

export class KubeClusterAccess implements ClusterAccess {
  readonly #clients: KubeClients;
  readonly #kubeConfig: KubeConfig;
  readonly #idleTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #http: HttpLibrary = createConfiguration().httpApi;
  /** This installation's Jobs and pods only: others sharing the cluster are not ours to decide or delete. */
  readonly #selector: string;

  constructor(kubeConfig: KubeConfig, queuePrefix: string, requestTimeoutMs: number, idleTimeoutMs: number) {
    this.#kubeConfig = kubeConfig;
    this.#selector = instanceSelector(queuePrefix);
    this.#clients = createKubeClients(kubeConfig, requestTimeoutMs);
    this.#idleTimeoutMs = idleTimeoutMs;
    this.#requestTimeoutMs = requestTimeoutMs;
  }

  /**
   * Lists as plain JSON, not through the typed client: its model classes would double the
   * transient memory of every page, and the cache keeps only a few fields anyway.
   */
  async list(kind: ResourceKind, namespace: string | undefined, continueToken: string | undefined): Promise<ListPage> {
    const cluster = this.#kubeConfig.getCurrentCluster();
    const url = new URL(`${cluster?.server ?? ''}${collectionPath(kind, namespace)}`);
    url.searchParams.set('labelSelector', this.#selector);
    url.searchParams.set('limit', String(PAGE_SIZE));
    if (continueToken) url.searchParams.set('continue', continueToken);
    const operation = `list ${kind} in ${namespace ?? 'all namespaces'}`;
    let result: ListResult;
    try {
      const request = new RequestContext(url.toString(), HttpMethod.GET);
      request.setSignal(AbortSignal.timeout(this.#requestTimeoutMs));
      await this.#kubeConfig.applySecurityAuthentication(request);
      const response = await this.#http.send(request).toPromise();
      const text = await response.body.text();
      if (response.httpStatusCode >= 300)
        throw new ApiException(response.httpStatusCode, operation, text, response.headers);
      result = JSON.parse(text) as ListResult;
    } catch (thrown) {
      throw classifyApiError(thrown, operation);
    }
    return {
      items: result.items ?? [],
      resourceVersion: result.metadata?.resourceVersion ?? '',
      continueToken: result.metadata?.continue || undefined,
    };
  }

  async watch(
    kind: ResourceKind,
    namespace: string | undefined,
    resourceVersion: string,
    onEvent: WatchEventHandler,
    done: (error: Error | undefined) => void,
  ): Promise<WatchHandle> {
    const watch = new Watch(this.#kubeConfig);
    // Watch's (private, 30 s) timeout covers the connect and then every gap between chunks: it is
    // our idle timeout, and must be longer than the API server's bookmark interval (~1 min).
    (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = this.#idleTimeoutMs;
    const query = {
      labelSelector: this.#selector,
      resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: WATCH_SERVER_TIMEOUT_SECONDS,
    };
    const controller = await watch.watch(collectionPath(kind, namespace), query, onEvent, (error: unknown) =>
      done(error ? (error as Error) : undefined),
    );
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

  deleteJob(namespace: string, name: string): Promise<void> {
    return deleteJob(this.#clients.batch, namespace, name);
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

  async warnOnJob(
    namespace: string,
    job: { name: string; uid: string },
    reason: string,
    message: string,
  ): Promise<void> {
    const now = new Date();
    try {
      await this.#clients.core.createNamespacedEvent({
        namespace,
        body: {
          // Like client-go's recorder: the object's name and a unique suffix.
          metadata: {
            name: `${job.name}.${(BigInt(now.getTime()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n)).toString(16)}`,
            namespace,
          },
          involvedObject: { kind: 'Job', apiVersion: 'batch/v1', namespace, name: job.name, uid: job.uid },
          reason,
          message,
          type: 'Warning',
          source: { component: EVENT_SOURCE },
          reportingComponent: EVENT_SOURCE,
          reportingInstance: '',
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (thrown) {
      throw classifyApiError(thrown, `create an event on Job ${namespace}/${job.name}`);
    }
  }
}
