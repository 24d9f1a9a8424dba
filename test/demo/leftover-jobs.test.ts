import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchV1Api, type V1Job } from '@kubernetes/client-node';
import { DEMO_PREFIX_START, deleteLeftoverDemoJobs } from '../../src/demo/leftover-jobs.ts';
import { identityLabels } from '../../src/render/identity.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/sim-cluster.ts';

let sim: SimCluster;
let batch: BatchV1Api;

beforeAll(async () => {
  sim = await startSimCluster();
  batch = sim.kubeConfig.makeApiClient(BatchV1Api);
});

afterAll(async () => {
  await sim.stop();
});

function job(name: string, queuePrefix: string, pipeline: string): V1Job {
  const labels = identityLabels(queuePrefix, pipeline, 'load', { pipelineRunId: 1, blockRunId: 1, attempt: 1 });
  return {
    metadata: { name, labels },
    spec: {
      template: {
        metadata: { labels },
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36' }] },
      },
    },
  };
}

async function names(): Promise<string[]> {
  return (await batch.listNamespacedJob({ namespace: 'default' })).items
    .map((item) => item.metadata?.name ?? '')
    .sort();
}

describe('leftover demo Jobs', () => {
  it("deletes the earlier demos' Jobs of the pipeline and nothing else", async () => {
    await batch.createNamespacedJob({
      namespace: 'default',
      body: job('mage-etl-block-1', `${DEMO_PREFIX_START}1a2b3c4d`, 'demo_etl'),
    });
    await batch.createNamespacedJob({ namespace: 'default', body: job('mage-etl-block-2', 'production', 'demo_etl') });
    await batch.createNamespacedJob({
      namespace: 'default',
      body: job('mage-etl-block-3', `${DEMO_PREFIX_START}1a2b3c4d`, 'other'),
    });
    expect(await deleteLeftoverDemoJobs(batch, 'demo_etl')).toBe(1);
    expect(await names()).toEqual(['mage-etl-block-2', 'mage-etl-block-3']);
    expect(await deleteLeftoverDemoJobs(batch, 'demo_etl')).toBe(0);
  });
});
