import type { ResourceKind } from '../k8s/cluster.ts';
import { ByNamespace, splitKey } from './by-namespace.ts';
import { fatalWaiting } from './failure-reason.ts';
import { jobKey, slimJob, slimPod, type SlimJob, type SlimPod } from './slim-objects.ts';

interface Versioned {
  uid: string;
  resourceVersion: string;
}

/** The same object at the same version: a reconnect or relist replaying what we have. */
function isReplay(previous: Versioned | undefined, next: Versioned): boolean {
  return previous !== undefined && previous.uid === next.uid && previous.resourceVersion === next.resourceVersion;
}

/**
 * What the watcher knows of the cluster: slim Jobs, slim Pods and which pods belong to which Job.
 * Every change returns the key (`namespace/name`) of the Job to reconcile, or undefined when
 * nothing changed that matters (a watch reconnect replays objects at a resourceVersion already seen).
 */
export class ObjectCache {
  readonly #jobs = new ByNamespace<SlimJob>();
  readonly #pods = new ByNamespace<SlimPod>();
  /** A Job's pod names: most Jobs have one pod, kept as a plain name; a Set only for more. */
  readonly #podsByJob = new ByNamespace<string | Set<string>>();
  /**
   * Finished Jobs deleted before their reconcile ran (a TTL of 0, a fast cleanup): their last
   * state still decides the outcome, so they stay here until the reconciler settles them.
   */
  readonly #finishedGone = new Map<string, SlimJob>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** The Job as last seen: live, or finished and already deleted but not settled yet. */
  job(key: string): SlimJob | undefined {
    return this.#liveJob(key) ?? this.#finishedGone.get(key);
  }

  /** True when the Job is no longer in the cluster (only its final state is kept). */
  isGone(key: string): boolean {
    return this.#liveJob(key) === undefined && this.#finishedGone.has(key);
  }

  /** Forgets the final state of a deleted Job once its outcome is settled. */
  settle(key: string): void {
    this.#finishedGone.delete(key);
  }

  podsOf(key: string): SlimPod[] {
    const at = splitKey(key);
    const names = at && this.#podsByJob.get(at.namespace, at.name);
    if (!at || names === undefined) return [];
    return (typeof names === 'string' ? [names] : [...names])
      .map((name) => this.#pods.get(at.namespace, name))
      .filter((pod): pod is SlimPod => pod !== undefined);
  }

  jobKeys(): IterableIterator<string> {
    return this.#jobs.keys();
  }

  /** The Jobs in the cluster now (not those deleted but not settled yet). */
  liveJobs(): IterableIterator<SlimJob> {
    return this.#jobs.values();
  }

  counts(): Record<ResourceKind, number> {
    return { jobs: this.#jobs.size, pods: this.#pods.size };
  }

  /** Stores an added or modified object; throws nothing, ignores what it cannot read. */
  upsert(kind: ResourceKind, raw: unknown): string | undefined {
    return kind === 'jobs' ? this.#upsertJob(raw) : this.#upsertPod(raw);
  }

  remove(kind: ResourceKind, raw: unknown): string | undefined {
    if (kind === 'pods') {
      const pod = slimPod(raw);
      return pod ? this.#removePod(pod.namespace, pod.name) : undefined;
    }
    // The DELETED event carries the Job's final state, which may be newer than the cached one.
    const job = slimJob(raw);
    return job ? this.#removeJob(job.namespace, job.name, job) : undefined;
  }

  /** Keys of cached objects of `kind` in `namespace` (every namespace when undefined). */
  keysIn(kind: ResourceKind, namespace: string | undefined): string[] {
    return [...(kind === 'jobs' ? this.#jobs : this.#pods).keys(namespace)];
  }

  /** Drops an object a relist no longer returned; returns the Job key to reconcile. */
  removeKey(kind: ResourceKind, key: string): string | undefined {
    const at = splitKey(key);
    if (!at) return undefined;
    return kind === 'jobs' ? this.#removeJob(at.namespace, at.name) : this.#removePod(at.namespace, at.name);
  }

  #liveJob(key: string): SlimJob | undefined {
    const at = splitKey(key);
    return at && this.#jobs.get(at.namespace, at.name);
  }

  #upsertJob(raw: unknown): string | undefined {
    const job = slimJob(raw);
    if (!job) return undefined;
    const previous = this.#jobs.get(job.namespace, job.name);
    if (isReplay(previous, job)) return undefined;
    if (job.finished)
      job.finishedSeenAt = (previous?.uid === job.uid ? previous.finishedSeenAt : undefined) ?? this.#now();
    this.#jobs.set(job.namespace, job.name, job);
    return jobKey(job.namespace, job.name);
  }

  #upsertPod(raw: unknown): string | undefined {
    const pod = slimPod(raw);
    if (!pod) return undefined;
    const { namespace, name } = pod;
    const previous = this.#pods.get(namespace, name);
    if (isReplay(previous, pod)) return undefined;
    const fatal = fatalWaiting(pod);
    if (fatal) {
      // The API keeps no time for waiting states: count the grace from when we first saw it.
      const before = previous && previous.uid === pod.uid ? previous.fatalSince : undefined;
      pod.fatalSince = before ?? this.#now();
    }
    if (previous && previous.jobName !== pod.jobName) this.#unlinkPod(previous);
    // The strings kept already (the Job's name, the previous version's pod name), not the copies
    // every pod event parses again.
    pod.jobName = this.#jobs.get(namespace, pod.jobName)?.name ?? pod.jobName;
    if (previous) pod.name = previous.name;
    this.#pods.set(namespace, pod.name, pod);
    const names = this.#podsByJob.get(namespace, pod.jobName);
    if (names === undefined || names === pod.name) this.#podsByJob.set(namespace, pod.jobName, pod.name);
    else if (typeof names === 'string') this.#podsByJob.set(namespace, pod.jobName, new Set([names, pod.name]));
    else names.add(pod.name);
    return jobKey(namespace, pod.jobName);
  }

  #removeJob(namespace: string, name: string, last?: SlimJob): string | undefined {
    const cached = this.#jobs.get(namespace, name);
    if (!cached) return undefined;
    this.#jobs.delete(namespace, name);
    const key = jobKey(namespace, name);
    const final = last?.finished ? { ...last, finishedSeenAt: cached.finishedSeenAt ?? this.#now() } : cached;
    if (final.finished) this.#finishedGone.set(key, final);
    return key;
  }

  #removePod(namespace: string, name: string): string | undefined {
    const pod = this.#pods.get(namespace, name);
    if (!pod) return undefined;
    this.#pods.delete(namespace, name);
    return this.#unlinkPod(pod);
  }

  #unlinkPod(pod: SlimPod): string {
    const { namespace, jobName } = pod;
    const names = this.#podsByJob.get(namespace, jobName);
    if (names === pod.name) this.#podsByJob.delete(namespace, jobName);
    else if (typeof names !== 'string' && names !== undefined) {
      names.delete(pod.name);
      if (names.size === 0) this.#podsByJob.delete(namespace, jobName);
    }
    return jobKey(namespace, jobName);
  }
}
