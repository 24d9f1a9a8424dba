import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { register } from 'prom-client';
import { createLogger } from '../../src/observability/logger.ts';
import { RunStore } from '../../src/runs/run-store.ts';
import type { ClusterAccess } from '../../src/watch/cluster-access.ts';
import { ObjectCache } from '../../src/watch/object-cache.ts';
import { OrphanJobs, orphansKey } from '../../src/watch/orphan-jobs.ts';
import { testRedis, type TestRedis } from '../support/redis.ts';

const retry = { retries: 0, delaySeconds: 0, exponentialBackoff: false, maxDelaySeconds: 0 };

class FakeCluster implements Partial<ClusterAccess> {
  calls: string[] = [];
  async deleteJob(namespace: string, name: string) {
    this.calls.push(`delete ${namespace}/${name}`);
  }
  async warnOnJob(namespace: string, job: { name: string }, reason: string) {
    this.calls.push(`event ${reason} ${namespace}/${job.name}`);
  }
}

async function orphanCount(cause: string): Promise<number> {
  const metric = await register.getSingleMetric('kubedispatch_watcher_orphan_jobs_total')!.get();
  return metric.values.filter((value) => value.labels['cause'] === cause).reduce((sum, value) => sum + value.value, 0);
}

describe('orphaned Jobs', () => {
  let t: TestRedis;
  let store: RunStore;
  let clock: number;

  beforeEach(() => {
    t = testRedis();
    store = new RunStore(t.redis, t.prefix);
    clock = 1_000_000;
  });
  afterEach(() => t.cleanup());

  function rawJob(name: string, labels: Record<string, string>) {
    return {
      metadata: {
        name,
        namespace: 'ns',
        uid: `${name}-uid`,
        resourceVersion: '1',
        creationTimestamp: new Date(clock).toISOString(),
        labels,
      },
    };
  }

  it('reports a Job of another epoch or of a missing run once, keeps the one whose run exists, and deletes orphans after the grace', async () => {
    const epoch = await store.epoch();
    const runId = await store.createRun({
      pipelineUuid: 'p',
      projectDir: '/p',
      trigger: '',
      variables: {},
      executionDate: new Date(0).toISOString(),
      executionPartition: 'manual/x_{pipeline_run_id}',
      blockRunLimit: 0,
      pipelineRunLimit: 0,
      blocks: [{ blockUuid: 'a', upstream: [], maxAttempts: 1, retry }],
      project: {},
    });
    const identity = (run: number, jobEpoch: string) => ({
      'kubedispatch.io/pipeline-run-id': String(run),
      'kubedispatch.io/block-run-id': '5',
      'kubedispatch.io/attempt': '1',
      'kubedispatch.io/epoch': jobEpoch,
    });
    const cache = new ObjectCache(() => clock);
    cache.upsert('jobs', rawJob('live', identity(runId, epoch)));
    cache.upsert('jobs', rawJob('old-life', identity(runId, '1000')));
    cache.upsert('jobs', rawJob('pruned', identity(runId + 1000, epoch)));
    const cluster = new FakeCluster();
    const orphans = new OrphanJobs({
      redis: t.redis,
      prefix: t.prefix,
      runStore: store,
      cache,
      cluster: cluster as unknown as ClusterAccess,
      acting: () => true,
      synced: () => true,
      graceMs: 60_000,
      logger: createLogger('silent', 'test'),
      now: () => clock,
    });
    const [otherBefore, missingBefore] = [await orphanCount('other-epoch'), await orphanCount('run-missing')];

    await orphans.runOnce();
    await orphans.runOnce();
    expect(cluster.calls.sort()).toEqual(['event OrphanedJob ns/old-life', 'event OrphanedJob ns/pruned']);
    expect([await orphanCount('other-epoch'), await orphanCount('run-missing')]).toEqual([
      otherBefore + 1,
      missingBefore + 1,
    ]);

    // A new acting watcher (same Redis) reports nothing again, and deletes once the grace is over.
    clock += 60_000;
    const cluster2 = new FakeCluster();
    const next = new OrphanJobs({
      redis: t.redis,
      prefix: t.prefix,
      runStore: store,
      cache,
      cluster: cluster2 as unknown as ClusterAccess,
      acting: () => true,
      synced: () => true,
      graceMs: 60_000,
      logger: createLogger('silent', 'test'),
      now: () => clock,
    });
    await next.runOnce();
    expect(cluster2.calls.sort()).toEqual(['delete ns/old-life', 'delete ns/pruned']);

    // Once the Jobs are gone, their first sightings are forgotten.
    cache.remove('jobs', rawJob('old-life', {}));
    cache.remove('jobs', rawJob('pruned', {}));
    await next.runOnce();
    expect(await t.redis.hlen(orphansKey(t.prefix))).toBe(0);
  });
});
