import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { KubeApiError } from '../../src/k8s/api-error.ts';
import type {
  Cluster,
  JobWarning,
  ListPage,
  Selection,
  WarningEvent,
  WatchEventHandler,
  WatchHandle,
} from '../../src/k8s/cluster.ts';

/**
 * A Cluster in memory for unit tests: records every call in `calls`, answers from what the test
 * sets (`jobs`, `events`, `logTail`). Lists and watches are the business of a subclass that
 * scripts them; here they fail, so a test that reaches them unexpectedly says so.
 */
export class FakeCluster implements Cluster {
  readonly name = 'fake';
  readonly calls: string[] = [];
  /** Jobs by `namespace/name`. */
  readonly jobs = new Map<string, V1Job>();
  /** Returned by `warningEvents` for the object they name (`Job/name`, `Pod/name`). */
  events: WarningEvent[] = [];
  logTail: string[] = ['last line'];

  async createJob(namespace: string, job: V1Job): Promise<V1Job> {
    const key = `${namespace}/${job.metadata?.name ?? ''}`;
    this.calls.push(`create ${key}`);
    if (this.jobs.has(key))
      throw new KubeApiError('conflict', `create Job ${key}: already exists`, { status: 409, reason: 'AlreadyExists' });
    this.jobs.set(key, job);
    return job;
  }

  async readJob(namespace: string, name: string): Promise<V1Job | undefined> {
    this.calls.push(`read ${namespace}/${name}`);
    return this.jobs.get(`${namespace}/${name}`);
  }

  async deleteJob(namespace: string, name: string): Promise<void> {
    this.calls.push(`delete ${namespace}/${name}`);
    this.jobs.delete(`${namespace}/${name}`);
  }

  async readPod(namespace: string, name: string): Promise<V1Pod> {
    throw new KubeApiError('permanent', `read Pod ${namespace}/${name}: not found`, {
      status: 404,
      reason: 'NotFound',
    });
  }

  async list(selection: Selection, _continueToken: string | undefined): Promise<ListPage> {
    throw new Error(`FakeCluster: list of ${selection.kind} not scripted`);
  }

  async watch(
    selection: Selection,
    _resourceVersion: string,
    _onEvent: WatchEventHandler,
    _done: (error: Error | undefined) => void,
  ): Promise<WatchHandle> {
    throw new Error(`FakeCluster: watch of ${selection.kind} not scripted`);
  }

  async podLogTail(_namespace: string, pod: string, container: string, lines: number): Promise<string[]> {
    this.calls.push(`log ${pod}/${container}`);
    return this.logTail.slice(-lines);
  }

  async warningEvents(_namespace: string, kind: 'Job' | 'Pod', name: string): Promise<WarningEvent[]> {
    this.calls.push(`events ${kind}/${name}`);
    return this.events.filter((event) => event.object === `${kind}/${name}`);
  }

  async warnOnJob(namespace: string, job: { name: string; uid: string }, warning: JobWarning): Promise<void> {
    this.calls.push(`event ${warning.reason} ${namespace}/${job.name}`);
  }
}
