import type { V1Job, V1Pod } from '@kubernetes/client-node';

/**
 * The Kubernetes API as kubedispatch uses it: the one way the dispatcher, the watcher, cancel and
 * the demo reach a cluster, so each can be tested against a fake. Every failure is thrown as a
 * classified KubeApiError (src/k8s/api-error.ts); retries are the caller's, with src/k8s/api-retry.ts.
 */
export interface Cluster {
  /** What the attempts whose Jobs it runs record as their cluster (`kube.clusterName`, else the kubeconfig's). */
  readonly name: string;
  createJob(namespace: string, job: V1Job): Promise<V1Job>;
  /** Undefined when the Job does not exist (404). */
  readJob(namespace: string, name: string): Promise<V1Job | undefined>;
  /** Deletes with propagation Background so its pods go too; a Job already gone (404) is what was wanted, not an error. */
  deleteJob(namespace: string, name: string): Promise<void>;
  readPod(namespace: string, name: string): Promise<V1Pod>;
  /** One page of the selected Jobs or Pods, as plain JSON. */
  list(selection: Selection, continueToken: string | undefined): Promise<ListPage>;
  /**
   * Watches from `resourceVersion` with bookmarks. `done` is called exactly once when the stream
   * ends: with no error for a normal close, with a `TimeoutError` after the idle timeout of silence.
   */
  watch(
    selection: Selection,
    resourceVersion: string,
    onEvent: WatchEventHandler,
    done: (error: Error | undefined) => void,
  ): Promise<WatchHandle>;
  /** The last `lines` lines of a container's log. */
  podLogTail(namespace: string, pod: string, container: string, lines: number): Promise<string[]>;
  warningEvents(namespace: string, kind: 'Job' | 'Pod', name: string): Promise<WarningEvent[]>;
  /** Records a Warning Event on a Job (`kubectl describe job` shows it). */
  warnOnJob(namespace: string, job: { name: string; uid: string }, warning: JobWarning): Promise<void>;
}

export type ResourceKind = 'jobs' | 'pods';

/** Which objects a list or watch is about. */
export interface Selection {
  kind: ResourceKind;
  /** Undefined: every namespace. */
  namespace: string | undefined;
  labelSelector: string;
}

export interface ListPage {
  items: unknown[];
  resourceVersion: string;
  continueToken: string | undefined;
}

export type WatchEventHandler = (type: string, object: unknown) => void;

export interface WatchHandle {
  abort(): void;
}

/** A Warning event about a Job or a pod. */
export interface WarningEvent {
  /** `Job/name` or `Pod/name`. */
  object: string;
  reason: string;
  message: string;
}

export interface JobWarning {
  reason: string;
  message: string;
  /** The event's `source.component`: who records it. */
  component: string;
}

/** Every page of a list. */
export async function listAll(cluster: Cluster, selection: Selection): Promise<unknown[]> {
  const items: unknown[] = [];
  let continueToken: string | undefined;
  do {
    const page = await cluster.list(selection, continueToken);
    items.push(...page.items);
    continueToken = page.continueToken;
  } while (continueToken);
  return items;
}
