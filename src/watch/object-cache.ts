import { fatalWaiting } from './failure-reason.ts';
import { jobKey, slimJob, slimPod, type SlimJob, type SlimPod } from './slim-objects.ts';

export type ResourceKind = 'jobs' | 'pods';

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
 * Every change returns the key of the Job to reconcile, or undefined when nothing changed that
 * matters (a watch reconnect replays objects at a resourceVersion already seen).
 */
export class ObjectCache {
  readonly #jobs = new Map<string, SlimJob>();
  readonly #pods = new Map<string, SlimPod>();
  readonly #podsByJob = new Map<string, Set<string>>();
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
    return this.#jobs.get(key) ?? this.#finishedGone.get(key);
  }

  /** True when the Job is no longer in the cluster (only its final state is kept). */
  isGone(key: string): boolean {
    return !this.#jobs.has(key) && this.#finishedGone.has(key);
  }

  /** Forgets the final state of a deleted Job once its outcome is settled. */
  settle(key: string): void {
    this.#finishedGone.delete(key);
  }

  podsOf(key: string): SlimPod[] {
    const names = this.#podsByJob.get(key);
    if (!names) return [];
    return [...names].map((name) => this.#pods.get(name)).filter((pod): pod is SlimPod => pod !== undefined);
  }

  jobKeys(): IterableIterator<string> {
    return this.#jobs.keys();
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
      return pod ? this.#removePod(jobKey(pod.namespace, pod.name)) : undefined;
    }
    // The DELETED event carries the Job's final state, which may be newer than the cached one.
    const job = slimJob(raw);
    return job ? this.#removeJob(jobKey(job.namespace, job.name), job) : undefined;
  }

  /** Keys of cached objects of `kind` in `namespace` (every namespace when undefined). */
  keysIn(kind: ResourceKind, namespace: string | undefined): string[] {
    const map = kind === 'jobs' ? this.#jobs : this.#pods;
    const prefix = namespace === undefined ? '' : `${namespace}/`;
    return [...map.keys()].filter((key) => key.startsWith(prefix));
  }

  /** Drops an object a relist no longer returned; returns the Job key to reconcile. */
  removeKey(kind: ResourceKind, key: string): string | undefined {
    return kind === 'jobs' ? this.#removeJob(key) : this.#removePod(key);
  }

  #upsertJob(raw: unknown): string | undefined {
    const job = slimJob(raw);
    if (!job) return undefined;
    const key = jobKey(job.namespace, job.name);
    const previous = this.#jobs.get(key);
    if (isReplay(previous, job)) return undefined;
    if (job.finished)
      job.finishedSeenAt = (previous?.uid === job.uid ? previous.finishedSeenAt : undefined) ?? this.#now();
    this.#jobs.set(key, job);
    return key;
  }

  #upsertPod(raw: unknown): string | undefined {
    const pod = slimPod(raw);
    if (!pod) return undefined;
    const key = jobKey(pod.namespace, pod.name);
    const previous = this.#pods.get(key);
    if (isReplay(previous, pod)) return undefined;
    const fatal = fatalWaiting(pod);
    if (fatal) {
      // The API keeps no time for waiting states: count the grace from when we first saw it.
      const before = previous && previous.uid === pod.uid ? previous.fatalSince : undefined;
      pod.fatalSince = before ?? this.#now();
    }
    if (previous && previous.jobName !== pod.jobName) this.#unlinkPod(key, previous);
    this.#pods.set(key, pod);
    const owner = jobKey(pod.namespace, pod.jobName);
    let names = this.#podsByJob.get(owner);
    if (!names) this.#podsByJob.set(owner, (names = new Set()));
    names.add(key);
    return owner;
  }

  #removeJob(key: string, last?: SlimJob): string | undefined {
    const cached = this.#jobs.get(key);
    if (!cached) return undefined;
    this.#jobs.delete(key);
    const final = last?.finished ? { ...last, finishedSeenAt: cached.finishedSeenAt ?? this.#now() } : cached;
    if (final.finished) this.#finishedGone.set(key, final);
    return key;
  }

  #removePod(key: string): string | undefined {
    const pod = this.#pods.get(key);
    if (!pod) return undefined;
    this.#pods.delete(key);
    return this.#unlinkPod(key, pod);
  }

  #unlinkPod(key: string, pod: SlimPod): string {
    const owner = jobKey(pod.namespace, pod.jobName);
    const names = this.#podsByJob.get(owner);
    names?.delete(key);
    if (names?.size === 0) this.#podsByJob.delete(owner);
    return owner;
  }
}
