import type { AttemptResultState } from '../runs/run-store.ts';
import type { AttemptOutcome, PodReport } from '../runs/types.ts';
import { FATAL_WAITING_REASONS } from '../k8s/waiting-reasons.ts';

/**
 * Failures after which Mage's retry loop inside the pod never ran, or was cut off from outside:
 * the pod never started the block (image, container config, scheduling, Job controller), or it was
 * evicted, OOM-killed, lost with its node, or its Job vanished. Only these are retried by
 * kubedispatch (a new Job). Every other failure (the container exited non-zero, the Job's
 * deadline passed, a pod failure policy failed the Job, any reason not listed) ran Mage's loop to
 * its end, which already made the block's retries: kubedispatch does not retry it again.
 */
export const RETRIED_BY_KUBEDISPATCH: ReadonlySet<string> = new Set([
  ...FATAL_WAITING_REASONS,
  'Unschedulable',
  'FailedCreate',
  'ContainerCannotRun',
  'StartError',
  'UnexpectedAdmissionError',
  'OutOfcpu',
  'OutOfmemory',
  'OutOfpods',
  'NodeAffinity',
  'Evicted',
  'OOMKilled',
  'NodeLost',
  'NodeShutdown',
  'Shutdown',
  'Terminated',
  'JobDeleted',
]);

export interface AttemptBudget {
  /** 1-based number of this attempt (this attempt's Job). */
  attempt: number;
  /** Mage's effective retries + 1 (src/project/retry-config.ts): the most Jobs this block run may cost. */
  maxAttempts: number;
  /** False for failures before a Job existed (dispatch failures): never retried. */
  retryable: boolean;
}

export interface AttemptVerdict {
  state: AttemptResultState;
  /** The outcome as the block run keeps it: the watcher's, with what the pod reported. */
  outcome: AttemptOutcome;
}

/**
 * What one attempt's end means for its block run: the watcher's outcome of the Job combined with
 * what Mage reported from inside the pod (`--callback-url`), and the retry rule of design.md
 * "Reasons a block run ends with". A report proves the pod ran the block (and its retry loop).
 */
export function attemptVerdict(
  watched: AttemptOutcome,
  report: PodReport | undefined,
  budget: AttemptBudget,
): AttemptVerdict {
  if (watched.cancelled) return { state: 'cancelled', outcome: watched };
  const outcome: AttemptOutcome = report ? { ...watched, reported: report.status } : watched;
  if (outcome.succeeded) {
    if (report?.status === 'condition_failed') {
      const message =
        'Mage reported condition_failed: a condition of this block returned False, so it and its downstream blocks do not run';
      return { state: 'condition_failed', outcome: { ...outcome, reason: 'ConditionFailed', message } };
    }
    if (report?.status === 'failed') {
      const message = `Mage reported failed although the container exited 0 (${outcome.message})`;
      return { state: 'failed', outcome: { ...outcome, succeeded: false, reason: 'ReportedFailed', message } };
    }
    return { state: 'succeeded', outcome };
  }
  const retry =
    budget.retryable && !report && RETRIED_BY_KUBEDISPATCH.has(outcome.reason) && budget.attempt < budget.maxAttempts;
  return { state: retry ? 'retrying' : 'failed', outcome };
}
