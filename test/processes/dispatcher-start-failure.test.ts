/**
 * A dispatcher whose start fails after it connected to Redis (and started its outcome waiter and
 * namespace slots) closes all it opened: the process exits 1 with the error instead of staying
 * alive on open connections and timers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { BLOCK_RUN_QUEUE } from '../../src/runs/block-run-queue.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/sim-cluster.ts';
import { testRedis } from '../support/redis.ts';
import { spawnWorker, type ChildWorker } from '../support/worker-process.ts';

describe('a dispatcher whose start fails after connecting to Redis', () => {
  const redis = testRedis();
  let sim: SimCluster | undefined;
  let worker: ChildWorker | undefined;
  afterAll(async () => {
    // A process the failed start kept alive must not outlive the test.
    await worker?.stop('SIGKILL');
    await sim?.stop();
    await redis.cleanup();
  });

  it('exits 1 with the error', async () => {
    sim = await startSimCluster();
    // The queue's meta hash held by a string: setting the global concurrency, one of the last
    // start-up steps, fails with WRONGTYPE.
    await redis.redis.set(`${redis.prefix}:${BLOCK_RUN_QUEUE}:meta`, 'not a hash');
    worker = spawnWorker('dispatcher', {
      REDIS_URL: redis.url,
      KUBECONFIG: sim.kubeconfigPath,
      KUBEDISPATCH_QUEUE_PREFIX: redis.prefix,
      KUBEDISPATCH_MAX_ACTIVE_JOBS_PER_NAMESPACE: '1',
    });
    // Before the fix this never resolved (the test timed out): the process stayed alive.
    expect(await worker.exited).toBe(1);
    expect(worker.output()).toContain('WRONGTYPE');
  });
});
