import { describe, expect, it } from 'vitest';
import { attemptVerdict, type AttemptBudget } from '../../src/dispatch/attempt-verdict.ts';
import type { AttemptOutcome, PodReport } from '../../src/runs/types.ts';

const complete: AttemptOutcome = {
  succeeded: true,
  reason: 'Complete',
  message: 'Job completed',
  exitCode: 0,
  finishedAt: 1,
};
const failed = (reason: string, exitCode?: number): AttemptOutcome => ({
  succeeded: false,
  reason,
  message: `failed with ${reason}`,
  ...(exitCode === undefined ? {} : { exitCode }),
  finishedAt: 1,
});
const report = (status: PodReport['status']): PodReport => ({ status, reportedAt: 1 });
const first: AttemptBudget = { attempt: 1, maxAttempts: 3, retryable: true };

describe('attemptVerdict: the Job outcome combined with what Mage reported', () => {
  it.each([
    {
      name: 'Complete, nothing reported',
      outcome: complete,
      report: undefined,
      state: 'succeeded',
      reason: 'Complete',
    },
    {
      name: 'Complete, reported completed',
      outcome: complete,
      report: report('completed'),
      state: 'succeeded',
      reason: 'Complete',
    },
    {
      name: 'Complete, reported condition_failed',
      outcome: complete,
      report: report('condition_failed'),
      state: 'condition_failed',
      reason: 'ConditionFailed',
    },
    {
      name: 'Complete, reported failed',
      outcome: complete,
      report: report('failed'),
      state: 'failed',
      reason: 'ReportedFailed',
    },
  ])('$name → $state', ({ outcome, report: given, state, reason }) => {
    const verdict = attemptVerdict(outcome, given, first);
    expect(verdict.state).toBe(state);
    expect(verdict.outcome.reason).toBe(reason);
    expect(verdict.outcome.reported).toBe(given?.status);
  });

  it('a cancelled attempt stays cancelled whatever was reported', () => {
    expect(attemptVerdict({ ...failed('Cancelled'), cancelled: true }, report('completed'), first).state).toBe(
      'cancelled',
    );
  });
});

describe('attemptVerdict: the retry budget', () => {
  // A pod that ran the block and exited non-zero went through Mage's own retry loop.
  it.each(['BackoffLimitExceeded', 'DeadlineExceeded', 'PodFailurePolicy', 'Error', 'SomethingNew'])(
    '%s (the pod ran its retries) is never retried',
    (reason) => {
      expect(attemptVerdict(failed(reason, 1), undefined, first).state).toBe('failed');
    },
  );

  it.each([
    'OOMKilled',
    'Evicted',
    'ImagePullBackOff',
    'ErrImagePull',
    'InvalidImageName',
    'CreateContainerConfigError',
    'CreateContainerError',
    'Unschedulable',
    'FailedCreate',
    'NodeLost',
    'JobDeleted',
    'ContainerCannotRun',
  ])('%s (the pod could not retry) is retried within the budget', (reason) => {
    expect(attemptVerdict(failed(reason), undefined, first).state).toBe('retrying');
    expect(attemptVerdict(failed(reason), undefined, { ...first, attempt: 3 }).state).toBe('failed');
  });

  it('a pod that reported a status ran the block: even a kill afterwards is not retried', () => {
    expect(attemptVerdict(failed('OOMKilled'), report('completed'), first).state).toBe('failed');
    expect(attemptVerdict(failed('Evicted'), report('failed'), first)).toMatchObject({
      state: 'failed',
      outcome: { reported: 'failed', reason: 'Evicted' },
    });
  });

  it('dispatch failures are never retried', () => {
    expect(attemptVerdict(failed('CreateRejected'), undefined, { ...first, retryable: false }).state).toBe('failed');
  });

  it('never more Jobs than effective retries + 1: OOM every time ends after maxAttempts', () => {
    for (const maxAttempts of [1, 2, 4]) {
      let jobs = 0;
      for (let attempt = 1; ; attempt++) {
        jobs++;
        if (
          attemptVerdict(failed('OOMKilled'), undefined, { attempt, maxAttempts, retryable: true }).state !== 'retrying'
        )
          break;
      }
      expect(jobs).toBe(maxAttempts);
    }
  });
});
