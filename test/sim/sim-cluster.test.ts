import { BatchV1Api, type V1Job } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimCluster, type SimCluster, type SimClusterOptions } from '../../src/sim/sim-cluster.ts';
import { isFinished, jobManifest } from '../contract/support/jobs.ts';
import { waitFor } from '../contract/support/wait-for.ts';

// Behaviour only the simulation has (options, request counts); Kubernetes' own behaviour is in test/contract.
let sim: SimCluster | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function start(options: SimClusterOptions = {}): Promise<{ sim: SimCluster; batch: BatchV1Api }> {
  sim = await startSimCluster(options);
  return { sim, batch: sim.kubeConfig.makeApiClient(BatchV1Api) };
}

describe('simulated cluster', () => {
  it('counts requests by verb and resource', async () => {
    const { sim, batch } = await start();
    await batch.createNamespacedJob({ namespace: 'default', body: jobManifest({ name: 'counted' }) });
    await batch.readNamespacedJob({ namespace: 'default', name: 'counted' });
    await batch.listNamespacedJob({ namespace: 'default' });
    expect(sim.stats().byVerbResource).toMatchObject({ 'create jobs': 1, 'get jobs': 1, 'list jobs': 1 });
    expect(sim.stats().total).toBe(3);
    sim.resetStats();
    expect(sim.stats().total).toBe(0);
  });

  it('runs simulated time faster with timeScale: a pod of a simulated minute finishes within real seconds', async () => {
    const { sim, batch } = await start({ timeScale: 600 });
    await batch.createNamespacedJob({
      namespace: 'default',
      body: jobManifest({ name: 'fast', annotations: { 'sim.kubedispatch.io/duration': '1m' } }),
    });
    // A minute of simulated time, within a wait far shorter than a real minute on any machine.
    const job = await waitFor<V1Job>(
      sim.kubeConfig,
      '/apis/batch/v1/namespaces/default/jobs',
      { fieldSelector: 'metadata.name=fast' },
      isFinished,
      20_000,
    );
    const ran = Date.parse(String(job.status?.completionTime)) - Date.parse(String(job.status?.startTime));
    expect(ran).toBeGreaterThanOrEqual(60_000);
  });

  it('forgets changes beyond watchHistorySize, answering older versions with 410', async () => {
    const { sim, batch } = await start({ watchHistorySize: 5 });
    const before = await batch.listNamespacedJob({ namespace: 'default' });
    for (let i = 0; i < 6; i++)
      await batch.createNamespacedJob({ namespace: 'default', body: jobManifest({ name: `churn-${i}` }) });
    const response = await fetch(
      `${sim.url}/apis/batch/v1/namespaces/default/jobs?watch=true&resourceVersion=${before.metadata?.resourceVersion}`,
    );
    const [line] = (await response.text()).split('\n');
    expect(JSON.parse(line as string)).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
  });

  it('rejects a watch from a resourceVersion that is not a number with 400', async () => {
    const { sim } = await start();
    const response = await fetch(`${sim.url}/apis/batch/v1/namespaces/default/jobs?watch=true&resourceVersion=abc`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
  });

  it('answers a protobuf body (kubectl create namespace / create job) with 415 naming the way that works', async () => {
    const { sim } = await start();
    const body = Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from([0x0a, 0x0f, 0x0a, 0x02, 0x76, 0x31])]);
    const response = await fetch(`${sim.url}/api/v1/namespaces`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.kubernetes.protobuf' },
      body,
    });
    expect(response.status).toBe(415);
    const status = (await response.json()) as { message: string };
    expect(status).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType', code: 415 });
    expect(status.message).toMatch(/kubectl create -f/);
  });
});
