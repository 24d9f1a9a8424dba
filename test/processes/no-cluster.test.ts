/**
 * Processes that need Kubernetes, started where none is configured (no kubeconfig named, no
 * ~/.kube/config, not in a cluster): they stop at once saying how to configure one, instead of
 * running against client-node's made-up http://localhost:8080 cluster.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testRedis } from '../support/redis.ts';
import { spawnWorker, type ChildWorker, type WorkerName } from '../support/worker-process.ts';

describe('a process with no Kubernetes cluster configured', () => {
  const redis = testRedis();
  const workers: ChildWorker[] = [];
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop('SIGKILL')));
    await redis.cleanup();
  });

  it.each<WorkerName>(['watcher', 'dispatcher'])('%s exits 1 naming the ways to configure one', async (name) => {
    // KUBECONFIG is unset: spawnWorker passes only this environment (and PATH).
    const worker = spawnWorker(name, {
      HOME: mkdtempSync(join(tmpdir(), 'kd-home-')),
      REDIS_URL: redis.url,
      KUBEDISPATCH_QUEUE_PREFIX: redis.prefix,
    });
    workers.push(worker);
    expect(await worker.exited).toBe(1);
    expect(worker.output()).toContain('no Kubernetes cluster configured: pass --kubeconfig, set KUBECONFIG');
    expect(worker.output()).not.toContain('HTTP protocol is not allowed');
  });
});
