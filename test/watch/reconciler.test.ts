import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.ts';
import type { AttemptKey, AttemptOutcome } from '../../src/runs/types.ts';
import type { ClusterAccess } from '../../src/watch/cluster-access.ts';
import { ObjectCache } from '../../src/watch/object-cache.ts';
import type { WarningEvent } from '../../src/watch/outcome-decision.ts';
import { Reconciler } from '../../src/watch/reconciler.ts';

const T0 = Date.parse('2026-11-28T10:00:00Z');
const EPOCH = '1765000000000';
const labels = { 'kubedispatch.io/block-run-id': '7', 'kubedispatch.io/attempt': '1', 'kubedispatch.io/epoch': EPOCH };

function rawJob(status: object = {}, spec: object = {}) {
  return {
    metadata: {
      name: 'j',
      namespace: 'ns',
      uid: 'u',
      resourceVersion: '1',
      creationTimestamp: new Date(T0).toISOString(),
      labels,
    },
    spec,
    status,
  };
}
const failed = {
  conditions: [
    {
      type: 'Failed',
      status: 'True',
      reason: 'BackoffLimitExceeded',
      message: 'limit',
      lastTransitionTime: new Date(T0 + 5_000).toISOString(),
    },
  ],
};
const complete = {
  conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: new Date(T0 + 5_000).toISOString() }],
};
const failedPod = {
  metadata: {
    name: 'j-abc',
    namespace: 'ns',
    uid: 'pu',
    resourceVersion: '2',
    creationTimestamp: new Date(T0 + 1_000).toISOString(),
    ownerReferences: [{ kind: 'Job', name: 'j', controller: true }],
  },
  status: {
    phase: 'Failed',
    containerStatuses: [{ name: 'main', state: { terminated: { exitCode: 9, reason: 'Error' } } }],
  },
};

/** Records every call; answers with the events and log lines the test sets. */
class FakeCluster implements Partial<ClusterAccess> {
  calls: string[] = [];
  events: WarningEvent[] = [];
  async jobExists() {
    return true;
  }
  async deleteJob(namespace: string, name: string) {
    this.calls.push(`delete ${namespace}/${name}`);
  }
  async podLogTail(_namespace: string, pod: string, container: string) {
    this.calls.push(`log ${pod}/${container}`);
    return ['last line'];
  }
  async warningEvents(_namespace: string, kind: string, name: string) {
    this.calls.push(`events ${kind}/${name}`);
    return kind === 'Job' ? this.events : [];
  }
}

function setUp(
  options: { acting?: boolean; now?: number; deleteFinishedJobs?: boolean; finishedJobGraceMs?: number } = {},
) {
  const cluster = new FakeCluster();
  const cache = new ObjectCache(() => options.now ?? T0 + 6_000);
  const stored = new Map<string, AttemptOutcome>();
  const outcomes = {
    async epoch() {
      return EPOCH;
    },
    async getOutcome(key: AttemptKey) {
      return stored.get(`${key.blockRunId}:${key.attempt}`);
    },
    async recordOutcome(key: AttemptKey, outcome: AttemptOutcome) {
      const id = `${key.blockRunId}:${key.attempt}`;
      if (stored.has(id)) return false;
      stored.set(id, outcome);
      return true;
    },
  };
  const rechecks: number[] = [];
  const reconciler = new Reconciler({
    cache,
    cluster: cluster as unknown as ClusterAccess,
    outcomes,
    acting: () => options.acting ?? true,
    recheck: (_key, at) => rechecks.push(at),
    settings: {
      pullErrorGraceMs: 30_000,
      podStartTimeoutMs: 300_000,
      logTailLines: 10,
      deleteFinishedJobs: options.deleteFinishedJobs ?? true,
      finishedJobGraceMs: options.finishedJobGraceMs ?? 0,
    },
    logger: createLogger('silent', 'test'),
    now: () => options.now ?? T0 + 6_000,
  });
  return { cluster, cache, stored, reconciler, rechecks, options };
}

describe('Reconciler', () => {
  it('captures evidence, records the failure, then deletes the Job; a second reconcile does nothing', async () => {
    const { cluster, cache, stored, reconciler } = setUp();
    cache.upsert('pods', failedPod);
    cache.upsert('jobs', rawJob(failed));
    await reconciler.reconcile('ns/j');
    expect(stored.get('7:1')).toMatchObject({
      succeeded: false,
      reason: 'BackoffLimitExceeded',
      exitCode: 9,
      logTail: ['last line'],
    });
    expect(cluster.calls).toEqual(['log j-abc/main', 'events Job/j', 'events Pod/j-abc', 'delete ns/j']);
    await reconciler.reconcile('ns/j');
    expect(cluster.calls).toHaveLength(4);
  });

  it('after a restart finds the recorded outcome and only finishes the cleanup', async () => {
    const { cluster, cache, stored, reconciler } = setUp();
    stored.set('7:1', { succeeded: false, reason: 'BackoffLimitExceeded', message: 'm', finishedAt: 1 });
    cache.upsert('pods', failedPod);
    cache.upsert('jobs', rawJob(failed));
    await reconciler.reconcile('ns/j');
    expect(cluster.calls).toEqual(['delete ns/j']);
    expect(stored.get('7:1')!.message).toBe('m');
  });

  it('leaves a Job with a TTL, or all Jobs when deleteFinishedJobs is false, to Kubernetes', async () => {
    const ttl = setUp();
    ttl.cache.upsert('jobs', rawJob(complete, { ttlSecondsAfterFinished: 60 }));
    await ttl.reconciler.reconcile('ns/j');
    expect(ttl.stored.get('7:1')).toMatchObject({ succeeded: true, reason: 'Complete' });
    expect(ttl.cluster.calls).toEqual([]);

    const keep = setUp({ deleteFinishedJobs: false });
    keep.cache.upsert('jobs', rawJob(complete));
    await keep.reconciler.reconcile('ns/j');
    expect(keep.cluster.calls).toEqual([]);
  });

  it('a Job whose lease was lost between its outcome and its delete is deleted on a later reconcile (found by npm run soak: Jobs never deleted)', async () => {
    let checks = 0;
    // Acting for the first two checks (reconcile, then before recording), no longer for the delete.
    const options = {} as { acting?: boolean };
    Object.defineProperty(options, 'acting', { get: () => checks++ < 2 || checks > 3 });
    const { cluster, cache, stored, reconciler } = setUp(options);
    cache.upsert('jobs', rawJob(complete));
    await reconciler.reconcile('ns/j');
    expect(stored.get('7:1')).toMatchObject({ succeeded: true });
    expect(cluster.calls).toEqual([]);
    // The lease is back (the next reconcile comes from the re-taken lease's enqueue of every Job).
    await reconciler.reconcile('ns/j');
    expect(cluster.calls).toEqual(['delete ns/j']);
  });

  it('keeps a finished Job for finishedJobGraceMs after it finished, so that a late create of the attempt meets it (409) instead of running the block again', async () => {
    const clock = { now: T0 + 6_000 };
    const options = { finishedJobGraceMs: 60_000 } as { now?: number; finishedJobGraceMs: number };
    Object.defineProperty(options, 'now', { get: () => clock.now });
    const { cluster, cache, stored, reconciler, rechecks } = setUp(options);
    cache.upsert('jobs', rawJob(complete));
    await reconciler.reconcile('ns/j');
    // Decided at once; deleted only once the grace, counted from the Job's finish (T0 + 5 s), is over.
    expect(stored.get('7:1')).toMatchObject({ succeeded: true, reason: 'Complete' });
    expect(cluster.calls).toEqual([]);
    expect(rechecks).toEqual([T0 + 5_000 + 60_000]);
    clock.now = T0 + 5_000 + 60_000;
    await reconciler.reconcile('ns/j');
    expect(cluster.calls).toEqual(['delete ns/j']);
    expect(stored.get('7:1')).toMatchObject({ succeeded: true, reason: 'Complete' });
  });

  it('does nothing without the lease', async () => {
    const { cluster, cache, stored, reconciler } = setUp({ acting: false });
    cache.upsert('jobs', rawJob(complete));
    await reconciler.reconcile('ns/j');
    expect(stored.size).toBe(0);
    expect(cluster.calls).toEqual([]);
  });

  it('fails a Job that has no pods and FailedCreate events, and deletes it', async () => {
    const { cluster, cache, stored, reconciler, rechecks } = setUp({ now: T0 + 10_000 });
    cache.upsert('jobs', rawJob());
    await reconciler.reconcile('ns/j');
    expect(rechecks).toEqual([T0 + 30_000]);
    expect(cluster.calls).toEqual([]);

    const later = setUp({ now: T0 + 31_000 });
    later.cluster.events = [
      { object: 'Job/j', reason: 'FailedCreate', message: 'Error creating: serviceaccount "runner" not found' },
    ];
    later.cache.upsert('jobs', rawJob());
    await later.reconciler.reconcile('ns/j');
    expect(later.stored.get('7:1')).toMatchObject({
      succeeded: false,
      reason: 'FailedCreate',
      events: ['FailedCreate: Error creating: serviceaccount "runner" not found'],
    });
    expect(later.stored.get('7:1')!.message).toMatch(/serviceaccount "runner" not found/);
    expect(later.cluster.calls.at(-1)).toBe('delete ns/j');
    expect(stored.size).toBe(0);
  });

  it('ignores a Job without identity labels', async () => {
    const { cluster, cache, stored, reconciler } = setUp();
    cache.upsert('jobs', { ...rawJob(complete), metadata: { ...rawJob().metadata, labels: {} } });
    await reconciler.reconcile('ns/j');
    expect(stored.size).toBe(0);
    expect(cluster.calls).toEqual([]);
  });

  it('never decides a Job of another installation epoch (made before Redis lost its data), nor one from before epochs', async () => {
    for (const epoch of ['1764000000000', undefined]) {
      const { cluster, cache, stored, reconciler } = setUp();
      const { 'kubedispatch.io/epoch': _own, ...withoutEpoch } = labels;
      const jobLabels = epoch === undefined ? withoutEpoch : { ...labels, 'kubedispatch.io/epoch': epoch };
      cache.upsert('jobs', { ...rawJob(complete), metadata: { ...rawJob().metadata, labels: jobLabels } });
      await reconciler.reconcile('ns/j');
      expect(stored.size).toBe(0);
      expect(cluster.calls).toEqual([]);
    }
  });
});
