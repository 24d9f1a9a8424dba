import type { SlimContainer, SlimJob, SlimPod } from '../../src/watch/slim-objects.ts';

/** Builders of the watcher's slim objects for decision tables; defaults describe a healthy Job. */

export const T0 = Date.parse('2026-11-28T10:00:00Z');

export function job(overrides: Partial<SlimJob> = {}): SlimJob {
  return {
    namespace: 'ns',
    name: 'mage-etl-block-7',
    uid: 'job-uid',
    resourceVersion: '1',
    attempt: { blockRunId: 7, attempt: 1 },
    epoch: 'e1',
    runId: 3,
    createdAt: T0,
    ttlSecondsAfterFinished: undefined,
    finished: undefined,
    failedPods: 0,
    finishedSeenAt: undefined,
    ...overrides,
  };
}

export function pod(name: string, overrides: Partial<SlimPod> = {}): SlimPod {
  return {
    namespace: 'ns',
    name,
    uid: `${name}-uid`,
    resourceVersion: '1',
    jobName: 'mage-etl-block-7',
    createdAt: T0 + 1_000,
    phase: 'Running',
    reason: undefined,
    message: undefined,
    unschedulable: undefined,
    containers: [main()],
    fatalSince: undefined,
    ...overrides,
  };
}

export function main(overrides: Partial<SlimContainer> = {}): SlimContainer {
  return { name: 'main', init: false, waiting: undefined, terminated: undefined, ...overrides };
}

export function init(overrides: Partial<SlimContainer> = {}): SlimContainer {
  return { name: 'setup', init: true, waiting: undefined, terminated: undefined, ...overrides };
}

export function exited(
  exitCode: number,
  reason = exitCode === 0 ? 'Completed' : 'Error',
  message = '',
): SlimContainer['terminated'] {
  return { exitCode, reason, message, finishedAt: T0 + 5_000 };
}

export function waiting(reason: string, message = ''): SlimContainer['waiting'] {
  return { reason, message };
}
