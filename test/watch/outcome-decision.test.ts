import { describe, expect, it } from 'vitest';
import {
  decideOutcome,
  type Decision,
  type DecisionInput,
  type WarningEvent,
} from '../../src/watch/outcome-decision.ts';
import type { SlimJob, SlimPod } from '../../src/watch/slim-objects.ts';
import { exited, init, job, main, pod, T0, waiting } from './builders.ts';

const settings = { pullErrorGraceMs: 30_000, podStartTimeoutMs: 300_000 };

function decide(j: SlimJob, pods: SlimPod[], now = T0 + 10_000, events?: WarningEvent[]): Decision {
  const input: DecisionInput = { job: j, pods, events, now, settings };
  return decideOutcome(input);
}

const failedJob = (reason: string, message = ''): Partial<SlimJob> => ({
  finished: { type: 'Failed', reason, message, at: T0 + 9_000 },
});

interface FinalCase {
  name: string;
  job: SlimJob;
  pods: SlimPod[];
  now?: number;
  events?: WarningEvent[];
  expected: {
    succeeded: boolean;
    reason: string;
    exitCode?: number | undefined;
    stopJob?: boolean;
    message: RegExp;
    container?: string;
  };
}

const finals: FinalCase[] = [
  {
    name: 'Complete → succeeded',
    job: job({ finished: { type: 'Complete', reason: 'Completed', message: '', at: T0 + 8_000 } }),
    pods: [pod('p1', { phase: 'Succeeded', containers: [main({ terminated: exited(0) })] })],
    expected: { succeeded: true, reason: 'Complete', exitCode: 0, message: /completed/ },
  },
  {
    name: 'BackoffLimitExceeded with a plain non-zero exit keeps the Job reason and the exit code',
    job: job(failedJob('BackoffLimitExceeded', 'Job has reached the specified backoff limit')),
    pods: [
      pod('p1', { phase: 'Failed', createdAt: T0 + 1_000, containers: [main({ terminated: exited(2) })] }),
      pod('p2', {
        phase: 'Failed',
        createdAt: T0 + 4_000,
        containers: [main({ terminated: exited(3, 'Error', 'boom') })],
      }),
    ],
    expected: {
      succeeded: false,
      reason: 'BackoffLimitExceeded',
      exitCode: 3,
      container: 'main',
      message: /backoff limit; last pod p2: container "main" terminated with Error \(exit code 3\): boom/,
    },
  },
  {
    name: 'OOMKilled names the cause',
    job: job(failedJob('BackoffLimitExceeded')),
    pods: [pod('p1', { phase: 'Failed', containers: [main({ terminated: exited(137, 'OOMKilled') })] })],
    expected: { succeeded: false, reason: 'OOMKilled', exitCode: 137, message: /OOMKilled \(exit code 137\)/ },
  },
  {
    name: 'OOMKilled with exit code 0 is still a failure',
    job: job(failedJob('BackoffLimitExceeded')),
    pods: [pod('p1', { phase: 'Failed', containers: [main({ terminated: exited(0, 'OOMKilled') })] })],
    expected: { succeeded: false, reason: 'OOMKilled', exitCode: 0, message: /OOMKilled \(exit code 0\)/ },
  },
  {
    name: 'a failing init container comes before the main container',
    job: job(failedJob('BackoffLimitExceeded')),
    pods: [
      pod('p1', {
        phase: 'Failed',
        containers: [
          init({ terminated: exited(1, 'Error', 'no config') }),
          main({ waiting: waiting('PodInitializing') }),
        ],
      }),
    ],
    expected: {
      succeeded: false,
      reason: 'BackoffLimitExceeded',
      exitCode: 1,
      container: 'setup',
      message: /init container "setup" terminated with Error \(exit code 1\): no config/,
    },
  },
  {
    name: 'eviction (pod reason) comes before containers',
    job: job(failedJob('BackoffLimitExceeded')),
    pods: [
      pod('p1', {
        phase: 'Failed',
        reason: 'Evicted',
        message: 'The node was low on resource: memory.',
        containers: [main({ terminated: exited(137) })],
      }),
    ],
    expected: {
      succeeded: false,
      reason: 'Evicted',
      exitCode: undefined,
      message: /pod p1: Evicted: The node was low on resource: memory\./,
    },
  },
  {
    name: 'DeadlineExceeded keeps the Job reason, with the last pod state',
    job: job(failedJob('DeadlineExceeded', 'Job was active longer than specified deadline')),
    pods: [pod('p1', { phase: 'Failed', containers: [main({ terminated: exited(143) })] })],
    expected: {
      succeeded: false,
      reason: 'DeadlineExceeded',
      exitCode: 143,
      message: /longer than specified deadline; last pod p1/,
    },
  },
  {
    name: 'DeadlineExceeded with no pods left',
    job: job(failedJob('DeadlineExceeded', 'Job was active longer than specified deadline')),
    pods: [],
    expected: {
      succeeded: false,
      reason: 'DeadlineExceeded',
      exitCode: undefined,
      message: /^Job mage-etl-block-7 failed with DeadlineExceeded: Job was active/,
    },
  },
  {
    name: 'a Failed Job whose pod only has a waiting reason reports it',
    job: job(failedJob('DeadlineExceeded')),
    pods: [
      pod('p1', { phase: 'Pending', containers: [main({ waiting: waiting('CrashLoopBackOff', 'back-off 5m0s') })] }),
    ],
    expected: { succeeded: false, reason: 'DeadlineExceeded', message: /waiting with CrashLoopBackOff: back-off 5m0s/ },
  },
  {
    name: 'image pull error after the grace fails and stops the Job',
    job: job(),
    pods: [
      pod('p1', {
        phase: 'Pending',
        fatalSince: T0 + 1_000,
        containers: [main({ waiting: waiting('ImagePullBackOff', 'Back-off pulling image "nope:1"') })],
      }),
    ],
    now: T0 + 31_000,
    expected: {
      succeeded: false,
      reason: 'ImagePullBackOff',
      stopJob: true,
      message:
        /could not start after 30s: container "main" is waiting with ImagePullBackOff: Back-off pulling image "nope:1"/,
    },
  },
  ...['ErrImagePull', 'InvalidImageName', 'CreateContainerError', 'CreateContainerConfigError'].map(
    (reason): FinalCase => ({
      name: `${reason} after the grace fails`,
      job: job(),
      pods: [pod('p1', { phase: 'Pending', containers: [main({ waiting: waiting(reason, 'details') })] })],
      now: T0 + 1_000 + 30_000,
      expected: { succeeded: false, reason, stopJob: true, message: new RegExp(`${reason}: details`) },
    }),
  ),
  {
    name: 'a fatal reason on an init container counts too',
    job: job(),
    pods: [
      pod('p1', {
        phase: 'Pending',
        containers: [
          init({ waiting: waiting('CreateContainerConfigError', 'secret "db" not found') }),
          main({ waiting: waiting('PodInitializing') }),
        ],
      }),
    ],
    now: T0 + 40_000,
    expected: {
      succeeded: false,
      reason: 'CreateContainerConfigError',
      stopJob: true,
      message: /init container "setup".*secret "db" not found/,
    },
  },
  {
    name: 'Unschedulable fails at the start timeout with the scheduler message',
    job: job(),
    pods: [
      pod('p1', { phase: 'Pending', containers: [], unschedulable: '0/3 nodes are available: 3 Insufficient cpu.' }),
    ],
    now: T0 + 1_000 + 300_000,
    expected: {
      succeeded: false,
      reason: 'Unschedulable',
      stopJob: true,
      message: /could not start after 300s: 0\/3 nodes are available: 3 Insufficient cpu\./,
    },
  },
  {
    name: 'a Job with no pods and FailedCreate events fails after the grace',
    job: job(),
    pods: [],
    now: T0 + 30_000,
    events: [
      {
        object: 'Job/mage-etl-block-7',
        reason: 'FailedCreate',
        message:
          'Error creating: pods "x" is forbidden: error looking up service account ns/runner: serviceaccount "runner" not found',
      },
    ],
    expected: {
      succeeded: false,
      reason: 'FailedCreate',
      stopJob: true,
      message: /could not create a pod after 30s: .*serviceaccount "runner" not found/,
    },
  },
];

describe('decideOutcome: final decisions', () => {
  it.each(finals)('$name', ({ job: j, pods, now, events, expected }) => {
    const decision = decide(j, pods, now, events);
    expect(decision.kind).toBe('final');
    if (decision.kind !== 'final') return;
    const { verdict } = decision;
    expect(verdict.succeeded).toBe(expected.succeeded);
    expect(verdict.reason).toBe(expected.reason);
    expect(verdict.message).toMatch(expected.message);
    if ('exitCode' in expected) expect(verdict.exitCode).toBe(expected.exitCode);
    if (expected.stopJob !== undefined) expect(verdict.stopJob).toBe(expected.stopJob);
    if (expected.container) expect(verdict.container).toBe(expected.container);
  });
});

describe('decideOutcome: not decided yet', () => {
  it('a running Job is pending', () => {
    expect(decide(job(), [pod('p1')])).toEqual({
      kind: 'pending',
      recheckAt: undefined,
      waitingOn: undefined,
      needsEvents: false,
    });
  });

  it('a failed pod is a retry under backoffLimit while the Job is not Failed', () => {
    const pods = [
      pod('p1', { phase: 'Failed', containers: [main({ terminated: exited(1) })] }),
      pod('p2', { createdAt: T0 + 3_000 }),
    ];
    expect(decide(job(), pods).kind).toBe('pending');
    expect(decide(job(), [pods[0]!]).kind).toBe('pending');
  });

  it('a Failed Job waits briefly for a pod whose final status has not arrived yet', () => {
    const failed = job({ ...failedJob('BackoffLimitExceeded'), finishedSeenAt: T0 + 9_000 });
    const running = pod('p1', { phase: 'Running' });
    expect(decide(failed, [running], T0 + 9_500)).toMatchObject({ kind: 'pending', recheckAt: T0 + 11_000 });
    expect(decide(failed, [running], T0 + 11_000)).toMatchObject({
      kind: 'final',
      verdict: { reason: 'BackoffLimitExceeded' },
    });
    const terminated = pod('p1', { phase: 'Failed', containers: [main({ terminated: exited(4) })] });
    expect(decide(failed, [terminated], T0 + 9_500)).toMatchObject({ kind: 'final', verdict: { exitCode: 4 } });
  });

  it('an image pull error inside the grace is pending until the grace ends', () => {
    const stuck = pod('p1', {
      phase: 'Pending',
      fatalSince: T0 + 5_000,
      containers: [main({ waiting: waiting('ErrImagePull', 'not found') })],
    });
    const decision = decide(job(), [stuck], T0 + 34_999);
    expect(decision).toMatchObject({ kind: 'pending', recheckAt: T0 + 35_000, waitingOn: { reason: 'ErrImagePull' } });
    expect(decide(job(), [stuck], T0 + 35_000).kind).toBe('final');
  });

  it('Unschedulable is recorded with the scheduler message but pending until the start timeout', () => {
    const stuck = pod('p1', { phase: 'Pending', containers: [], unschedulable: 'no nodes match' });
    expect(decide(job(), [stuck], T0 + 300_999)).toMatchObject({
      kind: 'pending',
      recheckAt: T0 + 301_000,
      waitingOn: { reason: 'Unschedulable', message: 'no nodes match' },
    });
  });

  it('benign waiting reasons are not failures', () => {
    const starting = pod('p1', { phase: 'Pending', containers: [main({ waiting: waiting('ContainerCreating') })] });
    expect(decide(job(), [starting], T0 + 10_000_000).kind).toBe('pending');
  });

  it('a Job without pods asks for its events only once the grace is over', () => {
    expect(decide(job(), [], T0 + 29_999)).toMatchObject({
      kind: 'pending',
      needsEvents: false,
      recheckAt: T0 + 30_000,
    });
    expect(decide(job(), [], T0 + 30_000)).toMatchObject({ kind: 'pending', needsEvents: true });
    expect(decide(job(), [], T0 + 30_000, [])).toMatchObject({ kind: 'pending', needsEvents: false });
  });

  it('a quota FailedCreate waits for the start timeout', () => {
    const quota: WarningEvent = {
      object: 'Job/x',
      reason: 'FailedCreate',
      message: 'pods "x" is forbidden: exceeded quota: compute, requested: cpu=2',
    };
    expect(decide(job(), [], T0 + 60_000, [quota])).toMatchObject({
      kind: 'pending',
      recheckAt: T0 + 300_000,
      waitingOn: { reason: 'FailedCreate' },
    });
    expect(decide(job(), [], T0 + 300_000, [quota]).kind).toBe('final');
  });

  it('a finished pod of a Job still running does not block a later stuck pod from deciding', () => {
    const pods = [
      pod('p1', { phase: 'Failed', containers: [main({ terminated: exited(1) })] }),
      pod('p2', {
        phase: 'Pending',
        createdAt: T0 + 5_000,
        containers: [main({ waiting: waiting('ImagePullBackOff') })],
      }),
    ];
    expect(decide(job(), pods, T0 + 35_000)).toMatchObject({
      kind: 'final',
      verdict: { reason: 'ImagePullBackOff', pod: 'p2' },
    });
  });
});
