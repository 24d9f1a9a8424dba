import type { V1Job } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiGate } from '../../src/dispatch/api-gate.ts';
import { JobCreator } from '../../src/dispatch/create-job.ts';
import { RetryAfterPause } from '../../src/dispatch/retry-after-pause.ts';
import { TokenBucket } from '../../src/dispatch/token-bucket.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { identityLabels } from '../../src/render/identity.ts';
import { FakeCluster } from '../support/fake-cluster.ts';
import { testRedis, type TestRedis } from '../support/redis.ts';

const ids = { pipelineRunId: 7, blockRunId: 42, attempt: 1, epoch: '1765000000000' };
const job = (queuePrefix: string): V1Job => ({
  metadata: { name: 'mage-etl-block-42', labels: identityLabels(queuePrefix, 'etl', 'load', ids) },
});

describe('JobCreator on a fake cluster', () => {
  let t: TestRedis;
  let cluster: FakeCluster;
  let creator: JobCreator;

  beforeEach(() => {
    t = testRedis();
    cluster = new FakeCluster();
    const gate = new ApiGate(
      new TokenBucket(t.redis, `${t.prefix}:tb`, 100, 100),
      new RetryAfterPause(t.redis, `${t.prefix}:ra`),
    );
    creator = new JobCreator({
      cluster,
      gate,
      retry: { baseMs: 1, maxMs: 1, deadlineMs: 1000 },
      createConcurrency: 1,
      logger: createLogger('silent', 'test'),
    });
  });
  afterEach(() => t.cleanup());

  it('adopts a Job of the same attempt that already exists (409), and refuses one of another installation', async () => {
    expect(await creator.create('ns', job('kd'))).toEqual({ adopted: false });
    expect(await creator.create('ns', job('kd'))).toEqual({ adopted: true });
    await expect(creator.create('ns', job('staging'))).rejects.toMatchObject({
      code: 'permanent',
      reason: 'JobNameCollision',
    });
    expect(cluster.calls).toEqual([
      'create ns/mage-etl-block-42',
      'create ns/mage-etl-block-42',
      'read ns/mage-etl-block-42',
      'create ns/mage-etl-block-42',
      'read ns/mage-etl-block-42',
    ]);
  });

  it('sends nothing once the attempt moved on', async () => {
    await expect(creator.create('ns', job('kd'), async () => false)).rejects.toMatchObject({
      name: 'AttemptMovedOnError',
    });
    expect(cluster.calls).toEqual([]);
  });
});
