/**
 * The soak's own counting (bench/soak/): the recording proxy in front of a real simulated cluster
 * must see every Job created and count duplicates, also for a create whose caller vanished, and
 * the verdict must fail lost runs, wrong block states, duplicates and outcomes without a Job.
 * Without these the soak could pass on counts that were never taken.
 */
import http from 'node:http';
import { BatchV1Api, CoreV1Api, type V1Job } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimCluster, type SimCluster } from '../../src/sim/sim-cluster.ts';
import { identityLabels } from '../../src/render/identity.ts';
import type { BlockRunRecord, RunWithBlocks } from '../../src/runs/types.ts';
import { JobLedger } from '../../bench/soak/job-ledger.ts';
import { expectedBlockStates, expectedJobCount, makePlan, type RunPlan } from '../../bench/soak/plan.ts';
import { startRecordingProxy, type RecordingProxy } from '../../bench/soak/recording-proxy.ts';
import { judge } from '../../bench/soak/verdict.ts';
import { eventually } from '../watch/support/eventually.ts';

const NAMESPACE = 'soak-counting';

function job(name: string, blockRunId: number, attempt: number): V1Job {
  const labels = identityLabels('soak-test', 'pipe', `b${blockRunId}`, { pipelineRunId: 7, blockRunId, attempt });
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels, annotations: { 'sim.kubedispatch.io/duration': '1h' } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36' }] },
      },
    },
  };
}

describe('the recording proxy counts what reached the cluster', () => {
  let sim: SimCluster;
  let proxy: RecordingProxy;
  const ledger = new JobLedger();
  let batch: BatchV1Api;

  beforeAll(async () => {
    sim = await startSimCluster();
    proxy = await startRecordingProxy(sim.url, ledger);
    const { KubeConfig } = await import('@kubernetes/client-node');
    const config = new KubeConfig();
    config.loadFromFile(proxy.kubeconfigPath);
    batch = config.makeApiClient(BatchV1Api);
    await config.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NAMESPACE } } });
  });
  afterAll(async () => {
    await proxy.stop();
    await sim.stop();
  });

  it('a repeated create answered 409 is no duplicate; the same name created again after a delete, and one attempt under two names, are', async () => {
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: job('one', 1, 1) });
    await expect(batch.createNamespacedJob({ namespace: NAMESPACE, body: job('one', 1, 1) })).rejects.toThrow();
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: job('two', 2, 1) });
    // A second attempt of block run 2 is a Job of its own, not a duplicate.
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: job('two-a2', 2, 2) });
    expect(ledger.duplicates()).toEqual([]);
    expect(ledger.refused()).toEqual([{ namespace: NAMESPACE, name: 'one', status: 409 }]);

    await batch.deleteNamespacedJob({ namespace: NAMESPACE, name: 'one', propagationPolicy: 'Background' });
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: job('one', 1, 1) });
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: job('two-again', 2, 1) });

    const duplicates = ledger.duplicates();
    expect(duplicates.map((d) => [d.kind, d.uids.length])).toEqual([
      ['name', 2],
      ['identity', 2],
      ['identity', 2],
    ]);
    expect(duplicates[0]?.key).toBe(`${NAMESPACE}/one`);
    // Two different uids: two Jobs really existed.
    for (const duplicate of duplicates) expect(new Set(duplicate.uids).size).toBe(2);
    expect(ledger.creations()).toHaveLength(5);
    expect(
      ledger
        .remaining()
        .map((c) => c.name)
        .sort(),
    ).toEqual(['one', 'two', 'two-a2', 'two-again']);
    expect(ledger.tally()).toEqual(
      expect.arrayContaining([
        ['create jobs 201', 5],
        ['create jobs 409', 1],
        ['delete jobs 200', 1],
      ]),
    );
  });

  it('records a create whose caller went away once it was sent whole', async () => {
    const body = JSON.stringify(job('orphaned-caller', 9, 1));
    const url = new URL(`${proxy.url}/apis/batch/v1/namespaces/${NAMESPACE}/jobs`);
    await new Promise<void>((resolve) => {
      const request = http.request({
        hostname: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      });
      request.on('error', () => resolve());
      request.end(body, () => {
        // The caller dies as soon as its request is on the wire (a SIGKILLed dispatcher).
        request.destroy();
        resolve();
      });
    });
    await eventually('the create recorded', () =>
      ledger.creations().some((c) => c.name === 'orphaned-caller') ? true : undefined,
    );
    expect((await batch.readNamespacedJob({ namespace: NAMESPACE, name: 'orphaned-caller' })).metadata?.uid).toBe(
      ledger.creations().find((c) => c.name === 'orphaned-caller')?.uid,
    );
  });
});

describe('the plan and the verdict', () => {
  const runPlan: RunPlan = {
    index: 0,
    pipelineUuid: 'soak_000',
    submitAtMs: 0,
    blocks: [
      { uuid: 'a', upstream: [], durationMs: 100, fails: false, retries: 0 },
      { uuid: 'b', upstream: ['a'], durationMs: 100, fails: true, retries: 1 },
      { uuid: 'c', upstream: ['b'], durationMs: 100, fails: false, retries: 0 },
      { uuid: 'd', upstream: ['a'], durationMs: 100, fails: false, retries: 0 },
    ],
  };

  it('expects a failing block failed with one Job (Mage retried inside its pod), its descendants upstream_failed, the rest succeeded', () => {
    expect(Object.fromEntries(expectedBlockStates(runPlan.blocks))).toEqual({
      a: 'succeeded',
      b: 'failed',
      c: 'upstream_failed',
      d: 'succeeded',
    });
    expect(expectedJobCount(runPlan.blocks)).toBe(3);
  });

  it('makes the same plan from the same seed, in topological order', () => {
    const options = { seed: 42, runs: 4, blocks: 90, watcherKills: 3, submitSpreadMs: 1000, failingRunShare: 0.5 };
    const one = makePlan(options);
    expect(JSON.stringify(makePlan(options).runs)).toBe(JSON.stringify(one.runs));
    expect(one.runs.reduce((sum, run) => sum + run.blocks.length, 0)).toBe(90);
    for (const run of one.runs) {
      const seen = new Set<string>();
      for (const block of run.blocks) {
        expect(block.upstream.every((uuid) => seen.has(uuid))).toBe(true);
        seen.add(block.uuid);
      }
    }
    expect(JSON.stringify(makePlan({ ...options, seed: 43 }).runs)).not.toBe(JSON.stringify(one.runs));
  });

  /** A run record as the API gives it, with one Job per attempt named `j-<block>-<attempt>`. */
  function record(
    states: Record<string, BlockRunRecord['state']>,
    attempts: Record<string, number>,
    runState: RunWithBlocks['state'],
  ): RunWithBlocks {
    return {
      id: 7,
      pipelineUuid: 'soak_000',
      projectDir: '/p',
      trigger: 'soak',
      variables: {},
      state: runState,
      createdAt: 0,
      blockRunLimit: 0,
      pipelineRunLimit: 0,
      blocks: Object.entries(states).map(([uuid, state], index) => ({
        blockUuid: uuid,
        blockRunId: index + 1,
        upstream: [],
        state,
        attempt: attempts[uuid] ?? 0,
        maxAttempts: 2,
        retry: { retries: 0, delaySeconds: 0, exponentialBackoff: false, maxDelaySeconds: 0 },
        attempts: Array.from({ length: attempts[uuid] ?? 0 }, (_, i) => ({
          attempt: i + 1,
          jobName: `j-${uuid}-${i + 1}`,
          namespace: 'ns',
          outcome: {
            succeeded: state === 'succeeded',
            reason: state === 'succeeded' ? 'Complete' : 'BackoffLimitExceeded',
            message: '',
            finishedAt: 1,
          },
        })),
      })),
    };
  }

  function ledgerWith(names: string[]): JobLedger {
    const ledger = new JobLedger();
    names.forEach((name, index) =>
      ledger.recordCreate(
        'ns',
        JSON.stringify({ metadata: { name, labels: { 'kubedispatch.io/job': name } } }),
        201,
        JSON.stringify({ metadata: { name, uid: `u${index}`, labels: { 'kubedispatch.io/job': name } } }),
      ),
    );
    for (const name of names) ledger.recordDelete('ns', name, 200);
    return ledger;
  }

  const goodStates = { a: 'succeeded', b: 'failed', c: 'upstream_failed', d: 'succeeded' } as const;
  const goodAttempts = { a: 1, b: 1, d: 1 };
  const goodJobs = ['j-a-1', 'j-b-1', 'j-d-1'];

  it('passes a run that ended as planned with one Job per attempt', () => {
    const verdict = judge(
      [{ plan: runPlan, id: '7', record: record(goodStates, goodAttempts, 'failed') }],
      ledgerWith(goodJobs),
      'soak-test',
    );
    expect(verdict.failures).toEqual([]);
    expect(verdict.figures).toMatchObject({
      runsAsExpected: 1,
      runsLost: 0,
      blockRunsAsExpected: 4,
      jobsCreated: 3,
      jobsExpected: 3,
      duplicateJobsByName: 0,
    });
  });

  it('matches an attempt whose record names no Job to the Job that carries its identity labels', () => {
    const run = record(goodStates, goodAttempts, 'failed');
    const d = run.blocks.find((block) => block.blockUuid === 'd')!;
    delete d.attempts[0]!.jobName;
    const ledger = ledgerWith(['j-a-1', 'j-b-1']);
    const labels = identityLabels('soak-test', 'soak_000', 'd', {
      pipelineRunId: 7,
      blockRunId: d.blockRunId,
      attempt: 1,
      trigger: 'soak',
    });
    ledger.recordCreate('ns', '{}', 201, JSON.stringify({ metadata: { name: 'another-name', uid: 'ud', labels } }));
    ledger.recordDelete('ns', 'another-name', 200);
    const verdict = judge([{ plan: runPlan, id: '7', record: run }], ledger, 'soak-test');
    expect(verdict.failures).toEqual([]);
    expect(verdict.figures).toMatchObject({
      attemptsWithoutJobName: 1,
      jobsOfNoKnownAttempt: 0,
      outcomesWithoutJob: 0,
    });
    // Under another installation's labels it is no match.
    expect(judge([{ plan: runPlan, id: '7', record: run }], ledger, 'other').failures.join('\n')).toContain(
      'never created',
    );
  });

  it('fails a lost run, an unfinished block, a wrong state, a duplicate, a Job of no attempt, an outcome without a Job and a Job left behind', () => {
    const cases: [string, [Parameters<typeof judge>[0], JobLedger]][] = [
      ['run(s) lost', [[{ plan: runPlan, id: '7', record: null }], ledgerWith([])]],
      ['run(s) lost', [[{ plan: runPlan, submitError: 'HTTP 503' }], ledgerWith([])]],
      [
        'block run(s) lost',
        [
          [{ plan: runPlan, id: '7', record: record({ ...goodStates, d: 'running' }, goodAttempts, 'running') }],
          ledgerWith(goodJobs),
        ],
      ],
      [
        'block run(s) ended wrong',
        [
          [
            {
              plan: runPlan,
              id: '7',
              record: record({ ...goodStates, c: 'succeeded' }, { ...goodAttempts, c: 1 }, 'failed'),
            },
          ],
          ledgerWith([...goodJobs, 'j-c-1']),
        ],
      ],
      [
        'created twice',
        [
          [{ plan: runPlan, id: '7', record: record(goodStates, goodAttempts, 'failed') }],
          ledgerWith([...goodJobs, 'j-a-1']),
        ],
      ],
      [
        'for no attempt',
        [
          [{ plan: runPlan, id: '7', record: record(goodStates, goodAttempts, 'failed') }],
          ledgerWith([...goodJobs, 'stray']),
        ],
      ],
      [
        'never created',
        [
          [{ plan: runPlan, id: '7', record: record(goodStates, goodAttempts, 'failed') }],
          ledgerWith(['j-a-1', 'j-b-1', 'j-b-2']),
        ],
      ],
    ];
    for (const [message, args] of cases)
      expect(judge(...args, 'soak-test').failures.join('\n'), message).toContain(message);
    const leftBehind = ledgerWith(goodJobs);
    leftBehind.recordCreate('ns', '{}', 201, JSON.stringify({ metadata: { name: 'j-a-1', uid: 'again' } }));
    expect(
      judge(
        [{ plan: runPlan, id: '7', record: record(goodStates, goodAttempts, 'failed') }],
        leftBehind,
        'soak-test',
      ).failures.join('\n'),
    ).toContain('never deleted');
  });
});
