import { readJobIdentity, type JobIdentity } from '../render/identity.ts';
import type { AttemptKey } from '../runs/types.ts';
import { intern } from './intern.ts';
import { rawArray, rawNumber, rawObject, rawPath, rawString, rawTime, type Raw } from './raw-fields.ts';

/**
 * The few fields of Jobs and Pods the watcher decides on. The watcher may track 10,000 Jobs, so
 * the cache holds these instead of whole API objects (a Pod is several kilobytes of JSON).
 */

export interface JobFinish {
  type: 'Complete' | 'Failed';
  reason: string;
  message: string;
  at: number;
}

export interface SlimJob {
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
  /** Undefined when the identity labels are missing or malformed: such a Job is never acted on. */
  attempt: AttemptKey | undefined;
  /** The installation epoch that created it (label); only that life of Redis may decide it. */
  epoch: string | undefined;
  /** The pipeline run it belongs to (label). */
  runId: number | undefined;
  createdAt: number;
  ttlSecondsAfterFinished: number | undefined;
  finished: JobFinish | undefined;
  /** `status.failed`: pods of the Job that failed (replaced by Kubernetes while `backoffLimit` allowed). */
  failedPods: number;
  /**
   * When the watcher first saw the Job finished (set by the object cache). Job and Pod updates
   * come on separate watches, so the last pod's final status may arrive just after.
   */
  finishedSeenAt: number | undefined;
}

export interface ContainerWaiting {
  reason: string;
  message: string;
}

export interface ContainerTermination {
  reason: string;
  message: string;
  exitCode: number;
  finishedAt: number | undefined;
}

export interface SlimContainer {
  name: string;
  init: boolean;
  waiting: ContainerWaiting | undefined;
  /** Current termination, else the last one (restartPolicy OnFailure restarts in place). */
  terminated: ContainerTermination | undefined;
}

export interface SlimPod {
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
  /** Name of the Job that owns the pod. */
  jobName: string;
  createdAt: number;
  phase: string;
  /** Pod-level reason and message (`Evicted`, `DeadlineExceeded`…). */
  reason: string | undefined;
  message: string | undefined;
  /** Set while the scheduler reports PodScheduled=False/Unschedulable: its message. */
  unschedulable: string | undefined;
  containers: SlimContainer[];
  /**
   * When the watcher first saw a fatal waiting reason on this pod (the API keeps no timestamp
   * for waiting states); set by the object cache, carried over while the reason persists.
   */
  fatalSince: number | undefined;
}

function attemptOf({ blockRunId, attempt }: JobIdentity): AttemptKey | undefined {
  return blockRunId !== undefined && attempt !== undefined ? { blockRunId, attempt } : undefined;
}

/** The Job's terminal condition, if any (Kubernetes sets exactly one of Complete/Failed to True). */
function finishOf(status: unknown): JobFinish | undefined {
  for (const condition of rawArray(rawPath(status, 'conditions'))) {
    const type = condition['type'];
    if ((type !== 'Complete' && type !== 'Failed') || condition['status'] !== 'True') continue;
    return {
      type,
      reason: rawString(condition['reason']) ?? type,
      message: rawString(condition['message']) ?? '',
      at: rawTime(condition['lastTransitionTime']) ?? rawTime(rawPath(status, 'completionTime')) ?? 0,
    };
  }
  return undefined;
}

/** Reads the fields the watcher needs; undefined when the object has no usable identity. */
export function slimJob(value: unknown): SlimJob | undefined {
  const metadata = rawObject(rawPath(value, 'metadata'));
  const name = rawString(metadata?.['name']);
  const namespace = rawString(metadata?.['namespace']);
  if (!metadata || !name || !namespace) return undefined;
  const identity = readJobIdentity(rawObject(metadata['labels']));
  return {
    namespace: intern(namespace),
    name,
    uid: rawString(metadata['uid']) ?? '',
    resourceVersion: rawString(metadata['resourceVersion']) ?? '',
    attempt: attemptOf(identity),
    epoch: intern(identity.epoch),
    runId: identity.pipelineRunId,
    createdAt: rawTime(metadata['creationTimestamp']) ?? 0,
    ttlSecondsAfterFinished: rawNumber(rawPath(value, 'spec', 'ttlSecondsAfterFinished')),
    finished: finishOf(rawPath(value, 'status')),
    failedPods: rawNumber(rawPath(value, 'status', 'failed')) ?? 0,
    finishedSeenAt: undefined,
  };
}

function jobNameOf(metadata: Raw): string | undefined {
  const owner = rawArray(metadata['ownerReferences']).find(
    (reference) => reference['kind'] === 'Job' && reference['controller'] === true,
  );
  const labels = rawObject(metadata['labels']);
  return (
    rawString(owner?.['name']) ?? rawString(labels?.['batch.kubernetes.io/job-name']) ?? rawString(labels?.['job-name'])
  );
}

function termination(state: unknown): ContainerTermination | undefined {
  const terminated = rawObject(rawPath(state, 'terminated'));
  if (!terminated) return undefined;
  const exitCode = rawNumber(terminated['exitCode']) ?? 0;
  return {
    reason: intern(rawString(terminated['reason'])) ?? (exitCode === 0 ? 'Completed' : 'Error'),
    message: rawString(terminated['message']) ?? '',
    exitCode,
    finishedAt: rawTime(terminated['finishedAt']),
  };
}

function slimContainers(statuses: unknown, init: boolean): SlimContainer[] {
  return rawArray(statuses).map((status) => {
    const waiting = rawObject(rawPath(status, 'state', 'waiting'));
    const waitingReason = rawString(waiting?.['reason']);
    return {
      name: intern(rawString(status['name'])) ?? '',
      init,
      waiting: waitingReason
        ? { reason: intern(waitingReason), message: rawString(waiting?.['message']) ?? '' }
        : undefined,
      terminated: termination(status['state']) ?? termination(status['lastState']),
    };
  });
}

function unschedulableOf(status: unknown): string | undefined {
  const scheduled = rawArray(rawPath(status, 'conditions')).find((condition) => condition['type'] === 'PodScheduled');
  if (scheduled?.['status'] !== 'False' || scheduled['reason'] !== 'Unschedulable') return undefined;
  return rawString(scheduled['message']) ?? 'the scheduler found no node for the pod';
}

/** Reads the fields the watcher needs; undefined for pods no Job owns. */
export function slimPod(value: unknown): SlimPod | undefined {
  const metadata = rawObject(rawPath(value, 'metadata'));
  const name = rawString(metadata?.['name']);
  const namespace = rawString(metadata?.['namespace']);
  const jobName = metadata ? jobNameOf(metadata) : undefined;
  if (!metadata || !name || !namespace || !jobName) return undefined;
  const status = rawPath(value, 'status');
  const initContainers = slimContainers(rawPath(status, 'initContainerStatuses'), true);
  const containers = slimContainers(rawPath(status, 'containerStatuses'), false);
  return {
    namespace: intern(namespace),
    name,
    uid: rawString(metadata['uid']) ?? '',
    resourceVersion: rawString(metadata['resourceVersion']) ?? '',
    jobName,
    createdAt: rawTime(metadata['creationTimestamp']) ?? 0,
    phase: intern(rawString(rawPath(status, 'phase'))) ?? 'Pending',
    reason: intern(rawString(rawPath(status, 'reason'))),
    message: rawString(rawPath(status, 'message')),
    unschedulable: unschedulableOf(status),
    // An array literal with spreads keeps spare capacity: about 130 bytes a pod, at 100,000 pods.
    containers: initContainers.length === 0 ? containers : initContainers.concat(containers),
    fatalSince: undefined,
  };
}

export function jobKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
