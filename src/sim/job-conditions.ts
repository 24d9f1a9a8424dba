/** Job status conditions as the Kubernetes 1.31+ Job controller writes them. */
export interface JobCondition {
  type: string;
  status: 'True' | 'False';
  lastProbeTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface Verdict {
  /** The interim condition, set as soon as the outcome is known. */
  interim: 'SuccessCriteriaMet' | 'FailureTarget';
  /** The terminal condition, set once no pod of the Job is left running. */
  terminal: 'Complete' | 'Failed';
  reason: string;
  message: string;
}

export const SUCCEEDED: Verdict = {
  interim: 'SuccessCriteriaMet',
  terminal: 'Complete',
  reason: 'CompletionsReached',
  message: 'Reached expected number of succeeded pods',
};

export const BACKOFF_LIMIT_EXCEEDED: Verdict = {
  interim: 'FailureTarget',
  terminal: 'Failed',
  reason: 'BackoffLimitExceeded',
  message: 'Job has reached the specified backoff limit',
};

export const DEADLINE_EXCEEDED: Verdict = {
  interim: 'FailureTarget',
  terminal: 'Failed',
  reason: 'DeadlineExceeded',
  message: 'Job was active longer than specified deadline',
};

const VERDICTS = [SUCCEEDED, BACKOFF_LIMIT_EXCEEDED, DEADLINE_EXCEEDED];

export function condition(type: string, verdict: Verdict, at: string): JobCondition {
  return {
    type,
    status: 'True',
    lastProbeTime: at,
    lastTransitionTime: at,
    reason: verdict.reason,
    message: verdict.message,
  };
}

export function hasCondition(conditions: JobCondition[] | undefined, type: string): boolean {
  return conditions?.some((item) => item.type === type && item.status === 'True') ?? false;
}

/** The verdict already recorded in the conditions, if any. */
export function recordedVerdict(conditions: JobCondition[] | undefined): Verdict | undefined {
  const interim = conditions?.find(
    (item) => (item.type === 'SuccessCriteriaMet' || item.type === 'FailureTarget') && item.status === 'True',
  );
  if (!interim) return undefined;
  return VERDICTS.find((verdict) => verdict.interim === interim.type && verdict.reason === interim.reason);
}

export function isFinished(conditions: JobCondition[] | undefined): boolean {
  return hasCondition(conditions, 'Complete') || hasCondition(conditions, 'Failed');
}
