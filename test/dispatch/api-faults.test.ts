import type { V1Job } from '@kubernetes/client-node';
import { register } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startChaosProxy, type ChaosProxy } from '../../src/chaos/chaos-proxy.ts';
import { ApiGate } from '../../src/dispatch/api-gate.ts';
import { JobCreator } from '../../src/dispatch/create-job.ts';
import { dispatcherMetrics } from '../../src/dispatch/metrics.ts';
import { RetryAfterPause } from '../../src/dispatch/retry-after-pause.ts';
import { TokenBucket } from '../../src/dispatch/token-bucket.ts';
import { createKubeClients } from '../../src/k8s/api-clients.ts';
import { classifyApiError } from '../../src/k8s/api-error.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { loadProject } from '../../src/project/load-project.ts';
import { loadRenderContext } from '../../src/render/context.ts';
import { runValues } from '../../src/mage/run-values.ts';
import { renderBlockJob } from '../../src/render/render-block-job.ts';
import { advanceAndEnqueue } from '../../src/runs/advance-run.ts';
import { dispatchHarness, type DispatchHarness } from './support/harness.ts';
import { waitFor } from './support/wait-for.ts';

const createJobs = (h: DispatchHarness) => h.sim.stats().byVerbResource['create jobs'] ?? 0;

async function counter(
  metric: { get(): Promise<{ values: { value: number; labels: Record<string, unknown> }[] }> },
  labels: Record<string, string> = {},
) {
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
    .reduce((sum, v) => sum + v.value, 0);
}

describe('dispatcher facing API failures', () => {
  let h: DispatchHarness;
  let proxy: ChaosProxy;
  /** Dispatchers talk to the cluster through the chaos proxy. */
  const viaProxy = (overrides: Record<string, string> = {}) =>
    h.startDispatcher({ KUBECONFIG: proxy.kubeconfigPath, ...overrides });

  beforeEach(async () => {
    h = await dispatchHarness();
    proxy = await startChaosProxy({ targetKubeconfig: h.sim.kubeconfigPath });
    h.jobs.playWatcher(h.store);
  });
  afterEach(async () => {
    await h.cleanup();
    await proxy.stop();
  });

  it('retries 5xx and connection resets, then succeeds with exactly one Job per block', async () => {
    proxy.setFaults({
      seed: 7,
      rules: [
        { verbs: ['create'], resources: ['jobs'], fault: 'error', code: 503, rate: 0.4 },
        { verbs: ['create'], resources: ['jobs'], fault: 'reset', rate: 0.4 },
      ],
    });
    const transientBefore = await counter(dispatcherMetrics.apiErrors, { class: 'transient' });
    await viaProxy();
    const runId = await h.createRun(h.project(Array.from({ length: 6 }, (_, i) => ({ uuid: `b${i}` }))));
    const run = await h.waitForRun(runId);
    expect(run.state).toBe('succeeded');
    expect(run.blocks.every((b) => b.attempt === 1)).toBe(true);
    expect(await counter(dispatcherMetrics.apiErrors, { class: 'transient' })).toBeGreaterThan(transientBefore);
    expect(await h.jobs.jobs()).toHaveLength(6);
    for (const uids of h.jobs.seenUids().values()) expect(uids.size).toBe(1);
  });

  it('gives up on an API that stays unavailable, with a readable reason', async () => {
    proxy.setFaults({ rules: [{ verbs: ['create'], resources: ['jobs'], fault: 'error', code: 500 }] });
    await viaProxy({ KUBEDISPATCH_API_RETRY_DEADLINE_MS: '300' });
    const runId = await h.createRun(h.project([{ uuid: 'a', retries: 2 }]));
    const block = (await h.waitForRun(runId)).blocks[0]!;
    expect(block.state).toBe('failed');
    expect(block.reason).toBe('ApiUnavailable');
    expect(block.message).toMatch(/^create Job default\/mage-disp-block-\d+: .*\(HTTP 500.*gave up after \d+ tries/);
    expect(createJobs(h)).toBe(0);
  });

  it('429 with Retry-After pauses every dispatcher without spending an attempt', async () => {
    proxy.setFaults({
      rules: [{ verbs: ['create'], resources: ['jobs'], fault: 'error', code: 429, retryAfterSeconds: 1 }],
    });
    const pause = new RetryAfterPause(h.redis.redis, `${h.redis.prefix}:dispatch:retry-after`);
    await viaProxy();
    const first = await h.createRun(h.project([{ uuid: 'a' }]));
    await waitFor('the Retry-After pause', async () => (await pause.remainingMs()) > 0);
    proxy.setFaults({ rules: [] });
    // A second dispatcher, started during the pause, holds off too (so does the whole queue).
    await viaProxy();
    const second = await h.createRun(h.project([{ uuid: 'b' }], 'second'));
    expect(await h.queue.getRateLimitTtl()).toBeGreaterThan(0);
    for (let remaining = await pause.remainingMs(); remaining > 50; remaining = await pause.remainingMs())
      expect(createJobs(h)).toBe(0);

    for (const runId of [first, second]) {
      const run = await h.waitForRun(runId);
      expect(run.state).toBe('succeeded');
      expect(run.blocks[0]!.attempt).toBe(1);
    }
    expect(createJobs(h)).toBe(2);
  });

  it("fails at once with the API's message on a permanent error (missing namespace)", async () => {
    await viaProxy();
    const runId = await h.createRun(h.project([{ uuid: 'a', retries: 3, namespace: 'does-not-exist' }]));
    const block = (await h.waitForRun(runId)).blocks[0]!;
    expect({ state: block.state, reason: block.reason, attempt: block.attempt }).toEqual({
      state: 'failed',
      reason: 'CreateRejected',
      attempt: 1,
    });
    expect(block.message).toMatch(/namespaces "does-not-exist" not found \(HTTP 404 NotFound\)/);
    expect(createJobs(h)).toBe(1);
  });

  it("a 422 from the API is permanent and carries the API's message", async () => {
    const clients = createKubeClients(h.sim.kubeConfig, 5000);
    const logger = createLogger('silent', 'test');
    const gate = new ApiGate(
      new TokenBucket(h.redis.redis, `${h.redis.prefix}:tb`, 100, 100),
      new RetryAfterPause(h.redis.redis, `${h.redis.prefix}:ra`),
    );
    const creator = new JobCreator({
      batch: clients.batch,
      gate,
      retry: { baseMs: 1, maxMs: 1, deadlineMs: 1000 },
      createConcurrency: 2,
      logger,
    });
    const job: V1Job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'Not_A_Valid_Name' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
    };
    const error = await creator.create('default', job).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: 'permanent', status: 422 });
    expect((error as Error).message).toMatch(/Not_A_Valid_Name.*\(HTTP 422 Invalid\)/);
    expect(createJobs(h)).toBe(1);
  });

  it('times out a request the API server does not answer, as a transient error', async () => {
    proxy.setFaults({ rules: [{ verbs: ['get'], resources: ['jobs'], fault: 'latency', ms: 2000 }] });
    const { batch } = createKubeClients(proxy.kubeConfig, 100);
    const thrown = await batch
      .readNamespacedJob({ name: 'any', namespace: 'default' })
      .catch((error: unknown) => error);
    expect(classifyApiError(thrown, 'read Job default/any')).toMatchObject({
      code: 'transient',
      reason: 'Timeout',
      message: 'read Job default/any: request timed out',
    });
    // Without the fault the same client works: the timeout is per request.
    proxy.setFaults({ rules: [] });
    await expect(batch.readNamespacedJob({ name: 'any', namespace: 'default' })).rejects.toMatchObject({ code: 404 });
  });

  it("exposes its metrics on prom-client's default registry (served by /metrics)", async () => {
    const text = await register.metrics();
    for (const name of [
      'jobs_created_total',
      'jobs_adopted_total',
      'api_errors_total',
      'job_create_seconds',
      'rate_limit_waits_total',
    ]) {
      expect(text).toContain(`kubedispatch_dispatcher_${name}`);
    }
  });

  describe('409: the Job already exists', () => {
    async function preCreate(dir: string, label: (job: V1Job) => void): Promise<number> {
      const runId = await h.createRun(dir);
      const run = (await h.store.getRun(runId))!;
      const block = run.blocks[0]!;
      const project = loadProject(dir);
      const ids = {
        pipelineRunId: runId,
        blockRunId: block.blockRunId,
        attempt: 1,
        trigger: '',
        ...runValues(run, project.pipelines[0]!.variables),
        epoch: await h.store.epoch(),
      };
      const { job, namespace } = renderBlockJob(
        loadRenderContext({}, { queuePrefix: h.redis.prefix }),
        project,
        'pipeline',
        'a',
        ids,
      );
      label(job);
      await h.jobs.batch.createNamespacedJob({ namespace, body: job });
      return runId;
    }

    it("adopts it when its identity labels are this attempt's (an earlier try created it)", async () => {
      const adoptedBefore = await counter(dispatcherMetrics.jobsAdopted);
      const runId = await preCreate(h.project([{ uuid: 'a' }]), () => undefined);
      await viaProxy();
      const run = await h.waitForRun(runId);
      expect(run.state).toBe('succeeded');
      expect(await h.jobs.jobs()).toHaveLength(1);
      expect(await counter(dispatcherMetrics.jobsAdopted)).toBe(adoptedBefore + 1);
    });

    it('fails with a collision error when the Job belongs to someone else', async () => {
      const runId = await preCreate(h.project([{ uuid: 'a', retries: 2 }]), (job) => {
        job.metadata!.labels!['kubedispatch.io/pipeline-run-id'] = '999';
      });
      await viaProxy();
      const block = (await h.waitForRun(runId)).blocks[0]!;
      expect({ state: block.state, reason: block.reason, attempt: block.attempt }).toEqual({
        state: 'failed',
        reason: 'JobNameCollision',
        attempt: 1,
      });
      expect(block.message).toMatch(
        /already exists but belongs to installation \S+, epoch \d+, pipeline run 999, block run \d+, attempt 1, not to installation \S+, epoch \d+, pipeline run \d+/,
      );
    });

    it('fails with a collision error, never adopting, when the Job is of an earlier life of Redis (another epoch)', async () => {
      const runId = await preCreate(h.project([{ uuid: 'a' }]), (job) => {
        job.metadata!.labels!['kubedispatch.io/epoch'] = '1000000000000';
      });
      await viaProxy();
      const block = (await h.waitForRun(runId)).blocks[0]!;
      expect({ state: block.state, reason: block.reason }).toEqual({ state: 'failed', reason: 'JobNameCollision' });
      expect(block.message).toMatch(/epoch 1000000000000, pipeline run \d+/);
    });

    it('fails with a collision error when another installation created a Job of the same name and ids', async () => {
      const runId = await preCreate(h.project([{ uuid: 'a' }]), (job) => {
        job.metadata!.labels!['kubedispatch.io/instance'] = 'staging';
      });
      await viaProxy();
      const block = (await h.waitForRun(runId)).blocks[0]!;
      expect({ state: block.state, reason: block.reason }).toEqual({ state: 'failed', reason: 'JobNameCollision' });
      expect(block.message).toMatch(
        /belongs to installation staging, .*another kubedispatch installation using this namespace/,
      );
    });
  });

  it('invalid configuration fails the block run without any API request', async () => {
    await viaProxy();
    const dir = h.project([{ uuid: 'a' }]);
    // Past the scheduler's validation: a snapshot whose block cannot render (as after a bad edit).
    const runId = await h.store.createRun({
      pipelineUuid: 'pipeline',
      projectDir: dir,
      trigger: '',
      executionDate: '2026-01-01T00:00:00.000Z',
      executionPartition: 'manual/20260101T000000_000000_1',
      variables: {},
      blockRunLimit: 0,
      pipelineRunLimit: 0,
      blocks: [
        {
          blockUuid: 'ghost',
          upstream: [],
          maxAttempts: 3,
          retry: { retries: 2, delaySeconds: 0, exponentialBackoff: false, maxDelaySeconds: 0 },
        },
      ],
      project: loadProject(dir),
    });
    h.sim.resetStats();
    await advanceAndEnqueue(h.store, h.queue, runId);
    const run = await h.waitForRun(runId);
    expect(run.state).toBe('failed');
    expect(run.blocks[0]).toMatchObject({ state: 'failed', reason: 'InvalidConfig', attempt: 1 });
    expect(run.blocks[0]!.message).toMatch(/unknown block "ghost"/);
    expect(h.sim.stats().byVerbResource['create jobs'] ?? 0).toBe(0);
  });
});
