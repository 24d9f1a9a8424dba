import { describe, expect, it } from 'vitest';
import { slimJob, slimPod } from '../../src/watch/slim-objects.ts';

const jobJson = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: {
    name: 'mage-etl-block-7-a2',
    namespace: 'ns',
    uid: 'u1',
    resourceVersion: '42',
    creationTimestamp: '2026-11-28T10:00:00Z',
    labels: {
      'app.kubernetes.io/managed-by': 'kubedispatch',
      'kubedispatch.io/block-run-id': '7',
      'kubedispatch.io/attempt': '2',
    },
  },
  spec: {
    ttlSecondsAfterFinished: 60,
    template: { spec: { containers: [{ name: 'main', image: 'x', env: [{ name: 'SECRET', value: 'v' }] }] } },
  },
  status: {
    failed: 2,
    conditions: [
      { type: 'FailureTarget', status: 'True' },
      {
        type: 'Failed',
        status: 'True',
        reason: 'DeadlineExceeded',
        message: 'too slow',
        lastTransitionTime: '2026-11-28T10:01:00Z',
      },
    ],
  },
};

describe('slimJob / slimPod', () => {
  it('keeps identity, TTL, the terminal condition and the failed pod count of a Job and nothing else', () => {
    const slim = slimJob(jobJson)!;
    expect(slim).toEqual({
      namespace: 'ns',
      name: 'mage-etl-block-7-a2',
      uid: 'u1',
      resourceVersion: '42',
      attempt: { blockRunId: 7, attempt: 2 },
      createdAt: Date.parse('2026-11-28T10:00:00Z'),
      ttlSecondsAfterFinished: 60,
      finished: {
        type: 'Failed',
        reason: 'DeadlineExceeded',
        message: 'too slow',
        at: Date.parse('2026-11-28T10:01:00Z'),
      },
      failedPods: 2,
      finishedSeenAt: undefined,
    });
    expect(JSON.stringify(slim)).not.toContain('SECRET');
  });

  it('reads Date timestamps from the client model classes too', () => {
    const model = {
      ...jobJson,
      metadata: { ...jobJson.metadata, creationTimestamp: new Date('2026-11-28T10:00:00Z') },
    };
    expect(slimJob(model)!.createdAt).toBe(Date.parse('2026-11-28T10:00:00Z'));
  });

  it('marks a Job with malformed identity labels as unidentified, and rejects garbage', () => {
    const odd = {
      ...jobJson,
      metadata: {
        ...jobJson.metadata,
        labels: { 'kubedispatch.io/block-run-id': 'x7', 'kubedispatch.io/attempt': '1' },
      },
    };
    expect(slimJob(odd)!.attempt).toBeUndefined();
    expect(slimJob(null)).toBeUndefined();
    expect(slimJob({ metadata: { name: 5 } })).toBeUndefined();
    expect(slimJob('x')).toBeUndefined();
  });

  it('keeps the owning Job, scheduling problem and container states of a Pod', () => {
    const podJson = {
      metadata: {
        name: 'p1',
        namespace: 'ns',
        creationTimestamp: '2026-11-28T10:00:01Z',
        ownerReferences: [{ kind: 'Job', name: 'mage-etl-block-7', controller: true }],
      },
      status: {
        phase: 'Failed',
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'no nodes' }],
        initContainerStatuses: [{ name: 'setup', state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
        containerStatuses: [
          {
            name: 'main',
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
          },
        ],
      },
    };
    const slim = slimPod(podJson)!;
    expect(slim.jobName).toBe('mage-etl-block-7');
    expect(slim.unschedulable).toBe('no nodes');
    expect(slim.containers).toEqual([
      {
        name: 'setup',
        init: true,
        waiting: undefined,
        terminated: { exitCode: 0, reason: 'Completed', message: '', finishedAt: undefined },
      },
      {
        name: 'main',
        init: false,
        waiting: { reason: 'CrashLoopBackOff', message: '' },
        terminated: { exitCode: 137, reason: 'OOMKilled', message: '', finishedAt: undefined },
      },
    ]);
    expect(slimPod({ metadata: { name: 'orphan', namespace: 'ns' } })).toBeUndefined();
    expect(
      slimPod({ metadata: { name: 'p', namespace: 'ns', labels: { 'batch.kubernetes.io/job-name': 'j' } } })!.jobName,
    ).toBe('j');
  });
});
