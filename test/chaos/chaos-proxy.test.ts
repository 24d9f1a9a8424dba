import { BatchV1Api, CoreV1Api, Watch, type V1Job } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startChaosProxy, type ChaosProxy } from '../../src/chaos/chaos-proxy.ts';
import type { FaultRules } from '../../src/chaos/fault-rules.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/sim-cluster.ts';

let sim: SimCluster;
let proxy: ChaosProxy;
let batch: BatchV1Api;
let core: CoreV1Api;
let jobCounter = 0;

beforeAll(async () => {
  sim = await startSimCluster();
  proxy = await startChaosProxy({ targetKubeconfig: sim.kubeconfigPath });
  batch = proxy.kubeConfig.makeApiClient(BatchV1Api);
  core = proxy.kubeConfig.makeApiClient(CoreV1Api);
});
afterAll(async () => {
  await proxy?.stop();
  await sim?.stop();
});
afterEach(() => proxy.setFaults({ rules: [] }));

function job(): V1Job {
  jobCounter++;
  return {
    metadata: { name: `chaos-${jobCounter}`, labels: { 'kubedispatch.io/set': 'chaos' } },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1' }] } } },
  };
}

async function outcome(
  call: () => Promise<unknown>,
): Promise<{ code: number | string; body?: Record<string, unknown>; headers?: Record<string, string> }> {
  try {
    await call();
    return { code: 200 };
  } catch (error) {
    const failure = error as {
      code?: number | string;
      body?: string;
      headers?: Record<string, string>;
      cause?: { code?: string };
      message: string;
    };
    if (typeof failure.code === 'number')
      return { code: failure.code, body: JSON.parse(failure.body ?? '{}'), headers: failure.headers ?? {} };
    return { code: failure.cause?.code ?? failure.code ?? failure.message };
  }
}

const createJob = () => outcome(() => batch.createNamespacedJob({ namespace: 'default', body: job() }));

interface WatchResult {
  types: string[];
  errors: Array<Record<string, unknown>>;
}

/** Watches jobs through the proxy until the stream ends; resolves with what arrived. */
function watchUntilEnd(query: Record<string, string | number | boolean | undefined>): Promise<WatchResult> {
  return new Promise((resolve, reject) => {
    const result: WatchResult = { types: [], errors: [] };
    const timer = setTimeout(() => reject(new Error(`the watch was not ended; saw ${result.types.join(',')}`)), 10_000);
    new Watch(proxy.kubeConfig)
      .watch(
        '/apis/batch/v1/namespaces/default/jobs',
        query,
        (type, object) => {
          result.types.push(type);
          if (type === 'ERROR') result.errors.push(object as Record<string, unknown>);
        },
        () => {
          clearTimeout(timer);
          resolve(result);
        },
      )
      .catch(reject);
  });
}

describe('chaos proxy', () => {
  it('passes requests through unchanged when no rule matches', async () => {
    proxy.setFaults({ rules: [{ fault: 'error', code: 500, resources: ['pods'] }] });
    expect((await createJob()).code).toBe(200);
    expect((await outcome(() => core.listNamespacedPod({ namespace: 'default' }))).code).toBe(500);
  });

  it('answers 429 with Retry-After and a TooManyRequests Status', async () => {
    proxy.setFaults({
      rules: [{ fault: 'error', code: 429, retryAfterSeconds: 3, verbs: ['create'], resources: ['jobs'] }],
    });
    const result = await createJob();
    expect(result.code).toBe(429);
    expect(result.headers?.['retry-after']).toBe('3');
    expect(result.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'TooManyRequests',
      code: 429,
      details: { retryAfterSeconds: 3 },
    });
  });

  it.each([
    [500, 'InternalError'],
    [503, 'ServiceUnavailable'],
    [504, 'Timeout'],
  ] as const)('answers %i with a %s Status', async (code, reason) => {
    proxy.setFaults({ rules: [{ fault: 'error', code, verbs: ['list'], resources: ['jobs'] }] });
    const result = await outcome(() => batch.listNamespacedJob({ namespace: 'default' }));
    expect(result.code).toBe(code);
    expect(result.body).toMatchObject({ kind: 'Status', reason, code });
  });

  it('fails exactly every Nth matching request with `every`', async () => {
    proxy.setFaults({ rules: [{ fault: 'error', code: 503, every: 3, verbs: ['create'] }] });
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push((await createJob()).code);
    expect(codes).toEqual([200, 200, 503, 200, 200, 503]);
  });

  it('repeats the same faults for the same seed with `rate`', async () => {
    const rules: FaultRules = { seed: 42, rules: [{ fault: 'error', code: 500, rate: 0.5, verbs: ['get'] }] };
    const run = async (): Promise<Array<number | string>> => {
      proxy.setFaults(rules);
      const codes = [];
      for (let i = 0; i < 12; i++) codes.push((await outcome(() => core.readNamespace({ name: 'default' }))).code);
      return codes;
    };
    const first = await run();
    expect(first).toContain(500);
    expect(first).toContain(200);
    expect(await run()).toEqual(first);
  });

  it('adds latency', async () => {
    proxy.setFaults({ rules: [{ fault: 'latency', ms: 150, verbs: ['get'] }] });
    const started = performance.now();
    await core.readNamespace({ name: 'default' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('resets the connection', async () => {
    proxy.setFaults({ rules: [{ fault: 'reset', verbs: ['get'] }] });
    const result = await outcome(() => core.readNamespace({ name: 'default' }));
    expect(result.code).not.toBe(200);
    expect(String(result.code)).toMatch(/ECONNRESET|socket|terminated|fetch failed/i);
  });

  it('cuts a watch after N events', async () => {
    for (let i = 0; i < 3; i++) await createJob();
    proxy.setFaults({ rules: [{ fault: 'cut-watch', afterEvents: 2 }] });
    const result = await watchUntilEnd({});
    expect(result.types).toEqual(['ADDED', 'ADDED']);
  });

  it('cuts a watch after a time', async () => {
    proxy.setFaults({ rules: [{ fault: 'cut-watch', afterMs: 200 }] });
    const list = await batch.listNamespacedJob({ namespace: 'default' });
    const started = performance.now();
    await watchUntilEnd({ resourceVersion: list.metadata?.resourceVersion });
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('forces 410 Gone on a watch, as an ERROR event with an Expired Status', async () => {
    proxy.setFaults({ rules: [{ fault: 'gone' }] });
    const list = await batch.listNamespacedJob({ namespace: 'default' });
    const result = await watchUntilEnd({ resourceVersion: list.metadata?.resourceVersion });
    expect(result.errors[0]).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('takes new rules at runtime through its admin endpoint', async () => {
    const put = await fetch(`${proxy.url}/_chaos/faults`, {
      method: 'PUT',
      body: JSON.stringify({ rules: [{ fault: 'error', code: 503, verbs: ['create'] }] }),
    });
    expect(put.status).toBe(200);
    expect((await createJob()).code).toBe(503);
    const rejected = await fetch(`${proxy.url}/_chaos/faults`, {
      method: 'PUT',
      body: JSON.stringify({ rules: [{ fault: 'error', code: 418 }] }),
    });
    expect(rejected.status).toBe(400);
  });
});
