import {
  ApiException,
  createConfiguration,
  HttpMethod,
  RequestContext,
  Watch,
  type HttpLibrary,
  type KubeConfig,
  type V1Job,
  type V1Pod,
} from '@kubernetes/client-node';
import { createKubeClients, type KubeClients } from './api-clients.ts';
import { classifyApiError } from './api-error.ts';
import type {
  Cluster,
  JobWarning,
  ListPage,
  Selection,
  WarningEvent,
  WatchEventHandler,
  WatchHandle,
} from './cluster.ts';

export interface KubeClusterOptions {
  /** See Cluster.name. */
  name: string;
  /** Timeout of one API request (not of a watch). */
  requestTimeoutMs: number;
  /** A watch that delivers nothing, not even a bookmark, for this long ends with a `TimeoutError`. */
  watchIdleTimeoutMs: number;
}

// Small pages keep the transient memory of a relist low (the benchmark tracks 10,000 Jobs).
const PAGE_SIZE = 250;
// The API server ends watches after this (client-go picks 5–10 minutes at random) so that
// load spreads when many watchers reconnect; the caller resumes from the last resourceVersion.
const WATCH_SERVER_TIMEOUT_SECONDS = 300;

function collectionPath({ kind, namespace }: Selection): string {
  const base = kind === 'jobs' ? '/apis/batch/v1' : '/api/v1';
  return namespace === undefined ? `${base}/${kind}` : `${base}/namespaces/${encodeURIComponent(namespace)}/${kind}`;
}

interface ListResult {
  items?: unknown[];
  metadata?: { resourceVersion?: string; continue?: string };
}

/** Calls `request`, throwing its failure classified (src/k8s/api-error.ts). */
async function classified<T>(operation: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (thrown) {
    throw classifyApiError(thrown, operation);
  }
}

/** Calls `request`; a 404 gives undefined, any other failure is thrown classified. */
async function unlessNotFound<T>(operation: string, request: () => Promise<T>): Promise<T | undefined> {
  try {
    return await request();
  } catch (thrown) {
    const error = classifyApiError(thrown, operation);
    if (error.status === 404) return undefined;
    throw error;
  }
}

/** Cluster over @kubernetes/client-node, with per-request timeouts (and the kubeconfig's connection reuse). */
export class KubeCluster implements Cluster {
  readonly #clients: KubeClients;
  readonly #kubeConfig: KubeConfig;
  readonly #options: KubeClusterOptions;
  readonly #http: HttpLibrary = createConfiguration().httpApi;
  readonly name: string;

  constructor(kubeConfig: KubeConfig, options: KubeClusterOptions) {
    this.name = options.name;
    this.#kubeConfig = kubeConfig;
    this.#options = options;
    this.#clients = createKubeClients(kubeConfig, options.requestTimeoutMs);
  }

  createJob(namespace: string, job: V1Job): Promise<V1Job> {
    return classified(`create Job ${namespace}/${job.metadata?.name ?? ''}`, () =>
      this.#clients.batch.createNamespacedJob({ namespace, body: job }),
    );
  }

  readJob(namespace: string, name: string): Promise<V1Job | undefined> {
    return unlessNotFound(`read Job ${namespace}/${name}`, () =>
      this.#clients.batch.readNamespacedJob({ namespace, name }),
    );
  }

  async deleteJob(namespace: string, name: string): Promise<void> {
    await unlessNotFound(`delete Job ${namespace}/${name}`, () =>
      this.#clients.batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' }),
    );
  }

  readPod(namespace: string, name: string): Promise<V1Pod> {
    return classified(`read Pod ${namespace}/${name}`, () => this.#clients.core.readNamespacedPod({ namespace, name }));
  }

  /**
   * Lists as plain JSON, not through the typed client: its model classes would double the
   * transient memory of every page, and the watcher's cache keeps only a few fields anyway.
   */
  async list(selection: Selection, continueToken: string | undefined): Promise<ListPage> {
    const cluster = this.#kubeConfig.getCurrentCluster();
    const url = new URL(`${cluster?.server ?? ''}${collectionPath(selection)}`);
    url.searchParams.set('labelSelector', selection.labelSelector);
    url.searchParams.set('limit', String(PAGE_SIZE));
    if (continueToken) url.searchParams.set('continue', continueToken);
    const operation = `list ${selection.kind} in ${selection.namespace ?? 'all namespaces'}`;
    const result = await classified(operation, async () => {
      const request = new RequestContext(url.toString(), HttpMethod.GET);
      request.setSignal(AbortSignal.timeout(this.#options.requestTimeoutMs));
      await this.#kubeConfig.applySecurityAuthentication(request);
      const response = await this.#http.send(request).toPromise();
      const text = await response.body.text();
      if (response.httpStatusCode >= 300)
        throw new ApiException(response.httpStatusCode, operation, text, response.headers);
      return JSON.parse(text) as ListResult;
    });
    return {
      items: result.items ?? [],
      resourceVersion: result.metadata?.resourceVersion ?? '',
      continueToken: result.metadata?.continue || undefined,
    };
  }

  async watch(
    selection: Selection,
    resourceVersion: string,
    onEvent: WatchEventHandler,
    done: (error: Error | undefined) => void,
  ): Promise<WatchHandle> {
    const watch = new Watch(this.#kubeConfig);
    // Watch's (private, 30 s) timeout covers the connect and then every gap between chunks: it is
    // our idle timeout, and must be longer than the API server's bookmark interval (~1 min).
    (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = this.#options.watchIdleTimeoutMs;
    const query = {
      labelSelector: selection.labelSelector,
      resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: WATCH_SERVER_TIMEOUT_SECONDS,
    };
    const controller = await watch.watch(collectionPath(selection), query, onEvent, (error: unknown) =>
      done(error ? (error as Error) : undefined),
    );
    return { abort: () => controller.abort() };
  }

  async podLogTail(namespace: string, pod: string, container: string, lines: number): Promise<string[]> {
    const text = await classified(`read log of ${namespace}/${pod} container ${container}`, () =>
      this.#clients.core.readNamespacedPodLog({ namespace, name: pod, container, tailLines: lines }),
    );
    const all = text.split('\n');
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines);
  }

  async warningEvents(namespace: string, kind: 'Job' | 'Pod', name: string): Promise<WarningEvent[]> {
    const fieldSelector = `involvedObject.kind=${kind},involvedObject.name=${name},type=Warning`;
    const { items } = await classified(`list events of ${kind} ${namespace}/${name}`, () =>
      this.#clients.core.listNamespacedEvent({ namespace, fieldSelector }),
    );
    return items.map((event) => ({
      object: `${kind}/${name}`,
      reason: event.reason || 'Unknown',
      message: event.message || '',
    }));
  }

  async warnOnJob(
    namespace: string,
    job: { name: string; uid: string },
    { reason, message, component }: JobWarning,
  ): Promise<void> {
    const now = new Date();
    await classified(`create an event on Job ${namespace}/${job.name}`, () =>
      this.#clients.core.createNamespacedEvent({
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
          source: { component },
          reportingComponent: component,
          reportingInstance: '',
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      }),
    );
  }
}
