import { fatalWaiting, podFailure, type PodFailure } from './failure-reason.ts';
import type { SlimJob, SlimPod } from './slim-objects.ts';

/** A Warning event about the Job or one of its pods. */
export interface WarningEvent {
  /** `Job/name` or `Pod/name`. */
  object: string;
  reason: string;
  message: string;
}

export interface DecisionSettings {
  pullErrorGraceMs: number;
  podStartTimeoutMs: number;
}

export interface DecisionInput {
  job: SlimJob;
  pods: readonly SlimPod[];
  /** Warning events of the Job; only fetched (and needed) for a Job that has no pods. */
  events: readonly WarningEvent[] | undefined;
  now: number;
  settings: DecisionSettings;
}

export interface Verdict {
  succeeded: boolean;
  reason: string;
  message: string;
  exitCode: number | undefined;
  /** When Kubernetes (or the watcher, for a pod that cannot start) declared the end. */
  finishedAt: number;
  /** The pod and container whose log explains the outcome. */
  pod: string | undefined;
  container: string | undefined;
  /** The Job is still trying (a pod that cannot start): delete it whatever the cleanup policy. */
  stopJob: boolean;
}

export type Decision =
  | { kind: 'final'; verdict: Verdict }
  | {
      kind: 'pending';
      /** Decide again at this time even if nothing changes (a grace or timeout ends). */
      recheckAt: number | undefined;
      /** What the Job is stuck on meanwhile (e.g. the scheduler's message). */
      waitingOn: PodFailure | undefined;
      /** The Job has no pods: fetch its warning events and decide again. */
      needsEvents: boolean;
    };

const TERMINAL_PHASES: ReadonlySet<string> = new Set(['Succeeded', 'Failed']);

/**
 * How long a Failed Job waits for its pods' final status: Jobs and Pods come on separate
 * watches, and deciding before the pod's update arrives would lose the exit code and reason.
 */
export const POD_STATUS_LAG_MS = 2_000;

/** Pod failure reasons that say more than the Job's generic BackoffLimitExceeded. */
function jobFailureReason(jobReason: string, failure: PodFailure | undefined): string {
  if (jobReason === 'BackoffLimitExceeded' && failure && failure.reason !== 'Error') return failure.reason;
  return jobReason;
}

function lastPod(pods: readonly SlimPod[], predicate: (pod: SlimPod) => boolean): SlimPod | undefined {
  let last: SlimPod | undefined;
  for (const pod of pods) {
    if (!predicate(pod)) continue;
    if (!last || pod.createdAt > last.createdAt || (pod.createdAt === last.createdAt && pod.name > last.name))
      last = pod;
  }
  return last;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}

function failedJobVerdict(job: SlimJob, pods: readonly SlimPod[], now: number): Verdict {
  const finish = job.finished!;
  const pod = lastPod(pods, (candidate) => podFailure(candidate) !== undefined) ?? lastPod(pods, () => true);
  const failure = pod ? podFailure(pod) : undefined;
  const jobMessage = `Job ${job.name} failed with ${finish.reason}${finish.message ? `: ${finish.message}` : ''}`;
  return {
    succeeded: false,
    reason: jobFailureReason(finish.reason, failure),
    message: failure && pod ? `${jobMessage}; last pod ${pod.name}: ${failure.message}` : jobMessage,
    exitCode: failure?.exitCode,
    finishedAt: finish.at || now,
    pod: pod?.name,
    container: failure?.container,
    stopJob: false,
  };
}

function stuckVerdict(pod: SlimPod, failure: PodFailure, waitedMs: number, now: number): Verdict {
  return {
    succeeded: false,
    reason: failure.reason,
    message: `pod ${pod.name} could not start after ${seconds(waitedMs)}: ${failure.message}`,
    exitCode: undefined,
    finishedAt: now,
    pod: pod.name,
    container: undefined,
    stopJob: true,
  };
}

/** A Job whose controller cannot create pods (FailedCreate) never gets a pod to look at. */
function decideWithoutPods(input: DecisionInput): Decision {
  const { job, events, now, settings } = input;
  const graceEnds = job.createdAt + settings.pullErrorGraceMs;
  if (events === undefined) {
    return { kind: 'pending', recheckAt: graceEnds, waitingOn: undefined, needsEvents: now >= graceEnds };
  }
  const failedCreate = events.findLast((event) => event.reason === 'FailedCreate');
  if (!failedCreate) return { kind: 'pending', recheckAt: undefined, waitingOn: undefined, needsEvents: false };
  // Quota rejections clear up when other Jobs finish, so they get the long start timeout.
  const transient = /exceeded quota/i.test(failedCreate.message);
  const deadline = job.createdAt + (transient ? settings.podStartTimeoutMs : settings.pullErrorGraceMs);
  const failure: PodFailure = {
    reason: 'FailedCreate',
    message: failedCreate.message,
    exitCode: undefined,
    container: undefined,
  };
  if (now < deadline) return { kind: 'pending', recheckAt: deadline, waitingOn: failure, needsEvents: false };
  return {
    kind: 'final',
    verdict: {
      succeeded: false,
      reason: 'FailedCreate',
      message: `Job ${job.name} could not create a pod after ${seconds(now - job.createdAt)}: ${failedCreate.message}`,
      exitCode: undefined,
      finishedAt: now,
      pod: undefined,
      container: undefined,
      stopJob: true,
    },
  };
}

/**
 * Decides one attempt's outcome from the current state of its Job and pods. Pure: the same
 * state gives the same decision, so reconciling twice, or after a replayed list, is harmless.
 */
export function decideOutcome(input: DecisionInput): Decision {
  const { job, pods, now, settings } = input;
  if (job.finished?.type === 'Complete') {
    const message = job.finished.message || `Job ${job.name} completed`;
    const verdict: Verdict = {
      succeeded: true,
      reason: 'Complete',
      message,
      exitCode: 0,
      finishedAt: job.finished.at || now,
      pod: undefined,
      container: undefined,
      stopJob: false,
    };
    return { kind: 'final', verdict };
  }
  if (job.finished?.type === 'Failed') {
    const settling = pods.some((pod) => !TERMINAL_PHASES.has(pod.phase) && podFailure(pod) === undefined);
    const settledAt = (job.finishedSeenAt ?? now) + POD_STATUS_LAG_MS;
    if (settling && now < settledAt)
      return { kind: 'pending', recheckAt: settledAt, waitingOn: undefined, needsEvents: false };
    return { kind: 'final', verdict: failedJobVerdict(job, pods, now) };
  }
  if (pods.length === 0) return decideWithoutPods(input);

  // Failed pods of a Job that is not Failed are retries under backoffLimit: not an outcome.
  let recheckAt: number | undefined;
  let waitingOn: PodFailure | undefined;
  for (const pod of pods) {
    if (TERMINAL_PHASES.has(pod.phase)) continue;
    const fatal = fatalWaiting(pod);
    if (fatal) {
      const since = pod.fatalSince ?? pod.createdAt;
      if (now - since >= settings.pullErrorGraceMs)
        return { kind: 'final', verdict: stuckVerdict(pod, fatal, now - since, now) };
      recheckAt = Math.min(recheckAt ?? Infinity, since + settings.pullErrorGraceMs);
      waitingOn = fatal;
    } else if (pod.unschedulable !== undefined) {
      const failure: PodFailure = {
        reason: 'Unschedulable',
        message: pod.unschedulable,
        exitCode: undefined,
        container: undefined,
      };
      if (now - pod.createdAt >= settings.podStartTimeoutMs)
        return { kind: 'final', verdict: stuckVerdict(pod, failure, now - pod.createdAt, now) };
      recheckAt = Math.min(recheckAt ?? Infinity, pod.createdAt + settings.podStartTimeoutMs);
      waitingOn ??= failure;
    }
  }
  return { kind: 'pending', recheckAt, waitingOn, needsEvents: false };
}
