import { podAnnotations } from './behaviour-rules.ts';
import type { BehaviourRule } from './behaviour-rules.ts';
import { formatTime, type Clock } from './clock.ts';
import { requestDeletion } from './deletion.ts';
import type { EventRecorder } from './event-recorder.ts';
import {
  BACKOFF_LIMIT_EXCEEDED,
  DEADLINE_EXCEEDED,
  SUCCEEDED,
  condition,
  isFinished,
  recordedVerdict,
  type JobCondition,
  type Verdict,
} from './job-conditions.ts';
import { generatedName, newUid } from './names.ts';
import { controllerOf, type KubeObject } from './objects.ts';
import { JOBS, PODS } from './resources.ts';
import type { Store, StoreEvent } from './store.ts';
import { WorkQueue, type ErrorSink } from './work-queue.ts';

export interface JobControllerOptions {
  /** First delay before replacing a failed pod; doubles per failure (Kubernetes: 10 s). */
  backoffBaseMs: number;
  /** Longest delay before replacing a failed pod (Kubernetes: 6 min). */
  backoffMaxMs: number;
  /** Simulated behaviour given to the pods of matching Jobs (src/sim/behaviour-rules.ts). */
  behaviourRules?: readonly BehaviourRule[];
}

/** Keeps a finished pod until the controller has counted it in the Job's status. */
export const TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
const SOURCE = { component: 'job-controller' };

interface JobSpec {
  parallelism: number;
  completions: number;
  backoffLimit: number;
  activeDeadlineSeconds?: number;
  template: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec: Record<string, unknown>;
  };
}

interface JobStatus {
  startTime?: string;
  completionTime?: string;
  active?: number;
  ready?: number;
  terminating?: number;
  succeeded?: number;
  failed?: number;
  conditions?: JobCondition[];
  uncountedTerminatedPods?: Record<string, unknown>;
}

function phaseOf(pod: KubeObject): string | undefined {
  return (pod['status'] as { phase?: string } | undefined)?.phase;
}

function isTerminal(pod: KubeObject): boolean {
  const phase = phaseOf(pod);
  return phase === 'Succeeded' || phase === 'Failed';
}

function isReady(pod: KubeObject): boolean {
  const conditions = (pod['status'] as { conditions?: Array<{ type: string; status: string }> } | undefined)
    ?.conditions;
  return conditions?.some((item) => item.type === 'Ready' && item.status === 'True') ?? false;
}

function restartsOf(pod: KubeObject): number {
  const statuses =
    (pod['status'] as { containerStatuses?: Array<{ restartCount?: number }> } | undefined)?.containerStatuses ?? [];
  return statuses.reduce((sum, status) => sum + (status.restartCount ?? 0), 0);
}

function hasTrackingFinalizer(pod: KubeObject): boolean {
  return pod.metadata.finalizers?.includes(TRACKING_FINALIZER) ?? false;
}

/**
 * The Job controller: creates pods up to parallelism, replaces failed ones after an exponential
 * backoff, enforces backoffLimit and activeDeadlineSeconds, and records the outcome in the status
 * the way Kubernetes 1.31+ does (interim condition first, terminal condition once no pod runs).
 * Each reconcile reads the current state and is safe to repeat.
 */
export class JobController {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #recorder: EventRecorder;
  readonly #options: JobControllerOptions;
  readonly #queue: WorkQueue;
  readonly #timers = new Map<string, () => void>();
  /** Per Job uid: consecutive pod failures and when the last one was counted, for the backoff. */
  readonly #failures = new Map<string, { count: number; lastMs: number }>();
  readonly #unsubscribe: Array<() => void>;

  constructor(store: Store, clock: Clock, recorder: EventRecorder, options: JobControllerOptions, onError: ErrorSink) {
    this.#store = store;
    this.#clock = clock;
    this.#recorder = recorder;
    this.#options = options;
    this.#queue = new WorkQueue((key) => this.#reconcile(key), onError);
    this.#unsubscribe = [
      store.subscribe(JOBS, (event) => this.#observeJob(event)),
      store.subscribe(PODS, (event) => this.#observePod(event)),
    ];
  }

  stop(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#queue.stop();
    for (const cancel of this.#timers.values()) cancel();
    this.#timers.clear();
  }

  #observeJob(event: StoreEvent): void {
    const meta = event.object.metadata;
    if (event.type !== 'DELETED') {
      this.#queue.add(`${meta.namespace}/${meta.name}`);
      return;
    }
    this.#timers.get(meta.uid)?.();
    this.#timers.delete(meta.uid);
    this.#failures.delete(meta.uid);
  }

  #observePod(event: StoreEvent): void {
    const pod = event.object;
    const owner = controllerOf(pod);
    if (owner?.kind === 'Job') this.#queue.add(`${pod.metadata.namespace}/${owner.name}`);
    if (event.type !== 'DELETED' && hasTrackingFinalizer(pod))
      this.#queue.add(`orphan|${pod.metadata.namespace}/${pod.metadata.name}`);
  }

  #reconcile(key: string): void {
    if (key.startsWith('orphan|')) {
      this.#releaseOrphan(key.slice('orphan|'.length));
      return;
    }
    const [namespace, name] = key.split('/') as [string, string];
    const job = this.#store.get(JOBS, namespace, name);
    if (!job) return;
    const uid = job.metadata.uid;
    const pods = this.#store
      .dependents(uid)
      .filter(({ type, object }) => type === PODS && controllerOf(object)?.uid === uid)
      .map(({ object }) => object);
    const status = (job['status'] ?? {}) as JobStatus;
    if (job.metadata.deletionTimestamp || isFinished(status.conditions)) {
      this.#releasePods(pods.filter((pod) => isTerminal(pod) || pod.metadata.deletionTimestamp));
      return;
    }
    const spec = job['spec'] as JobSpec;
    const now = this.#clock.now();
    const counted = pods.filter((pod) => isTerminal(pod) && hasTrackingFinalizer(pod));
    const newlyFailed = counted.filter((pod) => phaseOf(pod) === 'Failed').length;
    const succeeded = (status.succeeded ?? 0) + counted.length - newlyFailed;
    const failed = (status.failed ?? 0) + newlyFailed;
    if (newlyFailed > 0) {
      const previous = this.#failures.get(uid)?.count ?? 0;
      this.#failures.set(uid, { count: previous + newlyFailed, lastMs: now });
    }
    const startTime = status.startTime ?? formatTime(now);
    const conditions = [...(status.conditions ?? [])];
    let verdict = recordedVerdict(conditions);
    if (!verdict) {
      const onFailure = spec.template.spec['restartPolicy'] === 'OnFailure';
      const restarts = onFailure
        ? pods.filter((pod) => !isTerminal(pod)).reduce((sum, pod) => sum + restartsOf(pod), 0)
        : 0;
      verdict = this.#decide(spec, startTime, succeeded, failed, restarts, now);
      if (verdict) {
        conditions.push(condition(verdict.interim, verdict, formatTime(now)));
        if (verdict !== SUCCEEDED)
          this.#recorder.record(job, SOURCE, { type: 'Warning', reason: verdict.reason, message: verdict.message });
      }
    }
    let live = pods.filter((pod) => !isTerminal(pod));
    if (verdict) {
      for (const pod of live) this.#deletePod(job, pod);
    } else {
      this.#createMissing(job, spec, live, succeeded, now);
      this.#scheduleDeadline(job, spec, startTime, now);
    }
    live = this.#livePods(uid);
    const active = live.filter((pod) => !pod.metadata.deletionTimestamp).length;
    const next: JobStatus = {
      ...status,
      startTime,
      ready: live.filter((pod) => !pod.metadata.deletionTimestamp && isReady(pod)).length,
      terminating: live.filter((pod) => pod.metadata.deletionTimestamp).length,
      uncountedTerminatedPods: {},
    };
    // active, succeeded and failed are omitted when zero (omitempty); ready and terminating are not.
    delete next.active;
    if (active > 0) next.active = active;
    if (succeeded > 0) next.succeeded = succeeded;
    if (failed > 0) next.failed = failed;
    if (verdict && live.length === 0) this.#finish(job, next, conditions, verdict, now);
    if (conditions.length > 0) next.conditions = conditions;
    if (JSON.stringify(next) !== JSON.stringify(status)) {
      this.#store.mutate(JOBS, namespace, name, (draft) => {
        draft['status'] = next;
      });
    }
    this.#releasePods(counted);
  }

  #decide(
    spec: JobSpec,
    startTime: string,
    succeeded: number,
    failed: number,
    restarts: number,
    now: number,
  ): Verdict | undefined {
    if (failed > spec.backoffLimit) return BACKOFF_LIMIT_EXCEEDED;
    // Under OnFailure, in-place restarts of running pods count against the limit too.
    if (restarts > 0 && restarts >= Math.max(spec.backoffLimit, 1)) return BACKOFF_LIMIT_EXCEEDED;
    if (spec.activeDeadlineSeconds !== undefined && now >= Date.parse(startTime) + spec.activeDeadlineSeconds * 1000)
      return DEADLINE_EXCEEDED;
    if (succeeded >= spec.completions) return SUCCEEDED;
    return undefined;
  }

  #finish(job: KubeObject, next: JobStatus, conditions: JobCondition[], verdict: Verdict, now: number): void {
    conditions.push(condition(verdict.terminal, verdict, formatTime(now)));
    if (verdict === SUCCEEDED) {
      next.completionTime = formatTime(now);
      this.#recorder.record(job, SOURCE, { type: 'Normal', reason: 'Completed', message: 'Job completed' });
    }
    this.#timers.get(job.metadata.uid)?.();
    this.#timers.delete(job.metadata.uid);
  }

  #livePods(uid: string): KubeObject[] {
    return this.#store
      .dependents(uid)
      .filter(({ type, object }) => type === PODS && controllerOf(object)?.uid === uid && !isTerminal(object))
      .map(({ object }) => object);
  }

  #createMissing(job: KubeObject, spec: JobSpec, live: KubeObject[], succeeded: number, now: number): void {
    const active = live.filter((pod) => !pod.metadata.deletionTimestamp).length;
    const wanted = Math.min(spec.parallelism, spec.completions - succeeded) - active;
    if (wanted <= 0) return;
    const failures = this.#failures.get(job.metadata.uid);
    if (failures) {
      const delay = Math.min(this.#options.backoffBaseMs * 2 ** (failures.count - 1), this.#options.backoffMaxMs);
      const remaining = failures.lastMs + delay - now;
      if (remaining > 0) {
        this.#requeueAfter(job, remaining);
        return;
      }
    }
    for (let i = 0; i < wanted; i++) {
      const pod = this.#createPod(job, spec, now);
      this.#recorder.record(job, SOURCE, {
        type: 'Normal',
        reason: 'SuccessfulCreate',
        message: `Created pod: ${pod.metadata.name}`,
      });
    }
  }

  #createPod(job: KubeObject, spec: JobSpec, now: number): KubeObject {
    const template = spec.template;
    const prefix = `${job.metadata.name}-`;
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: generatedName(prefix),
        generateName: prefix,
        namespace: job.metadata.namespace as string,
        uid: newUid(),
        resourceVersion: '',
        creationTimestamp: formatTime(now),
        labels: { ...template.metadata?.labels },
        ownerReferences: [
          {
            apiVersion: 'batch/v1',
            kind: 'Job',
            name: job.metadata.name,
            uid: job.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
        finalizers: [TRACKING_FINALIZER],
      },
      spec: {
        ...template.spec,
        serviceAccountName: (template.spec['serviceAccountName'] as string | undefined) ?? 'default',
        serviceAccount: (template.spec['serviceAccountName'] as string | undefined) ?? 'default',
        enableServiceLinks: true,
        priority: 0,
        preemptionPolicy: 'PreemptLowerPriority',
      },
      status: { phase: 'Pending', qosClass: 'BestEffort' },
    };
    const annotations = podAnnotations(this.#options.behaviourRules ?? [], template.metadata ?? {});
    if (annotations) pod.metadata.annotations = annotations;
    return this.#store.create(PODS, pod);
  }

  #deletePod(job: KubeObject, pod: KubeObject): void {
    if (pod.metadata.deletionTimestamp) return;
    requestDeletion(this.#store, this.#clock, PODS, pod.metadata.namespace, pod.metadata.name, {
      propagationPolicy: 'Background',
    });
    this.#recorder.record(job, SOURCE, {
      type: 'Normal',
      reason: 'SuccessfulDelete',
      message: `Deleted pod: ${pod.metadata.name}`,
    });
  }

  #scheduleDeadline(job: KubeObject, spec: JobSpec, startTime: string, now: number): void {
    if (spec.activeDeadlineSeconds === undefined || this.#timers.has(job.metadata.uid)) return;
    this.#requeueAfter(job, Date.parse(startTime) + spec.activeDeadlineSeconds * 1000 - now);
  }

  #requeueAfter(job: KubeObject, ms: number): void {
    const uid = job.metadata.uid;
    this.#timers.get(uid)?.();
    const key = `${job.metadata.namespace}/${job.metadata.name}`;
    this.#timers.set(
      uid,
      this.#clock.after(ms, () => {
        this.#timers.delete(uid);
        this.#queue.add(key);
      }),
    );
  }

  #releasePods(pods: KubeObject[]): void {
    for (const pod of pods) {
      if (!hasTrackingFinalizer(pod)) continue;
      this.#store.mutate(PODS, pod.metadata.namespace, pod.metadata.name, (draft) => {
        draft.metadata.finalizers = draft.metadata.finalizers?.filter((item) => item !== TRACKING_FINALIZER);
        if (draft.metadata.finalizers?.length === 0) delete draft.metadata.finalizers;
      });
    }
  }

  /** A pod whose Job is gone (or which was orphaned) no longer needs to be counted by anyone. */
  #releaseOrphan(key: string): void {
    const [namespace, name] = key.split('/') as [string, string];
    const pod = this.#store.get(PODS, namespace, name);
    if (!pod || !hasTrackingFinalizer(pod)) return;
    const owner = controllerOf(pod);
    if (owner && this.#store.get(JOBS, namespace, owner.name)?.metadata.uid === owner.uid) return;
    this.#releasePods([pod]);
  }
}
