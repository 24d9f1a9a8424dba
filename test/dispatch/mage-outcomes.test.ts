import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { V1Job } from '@kubernetes/client-node';
import { startHttpServer, type RunningHttpServer } from '../../src/http/server.ts';
import { BLOCK_LABEL } from '../../src/render/identity.ts';
import type { RunServices } from '../../src/runs/run-services.ts';
import { silentLogger, testCreator, testServices } from '../scheduler/support.ts';
import { dispatchHarness, type DispatchHarness } from './support/harness.ts';
import { attemptOf } from './support/sim-jobs.ts';

function commandOf(job: V1Job): string[] {
  return job.spec?.template.spec?.containers[0]?.command ?? [];
}

/** The value after `flag` in the Job's command, if any. */
function flagValue(job: V1Job, flag: string): string | undefined {
  const command = commandOf(job);
  const at = command.indexOf(flag);
  return at < 0 ? undefined : command[at + 1];
}

describe('block outcomes Mage reports from inside the pod (--callback-url), on the simulated cluster', () => {
  let h: DispatchHarness;
  let services: RunServices;
  let server: RunningHttpServer;
  let standIn: { stop(): void; reported: string[] } | undefined;

  beforeEach(async () => {
    h = await dispatchHarness();
    services = testServices(h.redis);
    // The dashboard process: it serves the callback endpoint (the API behind a token, the callback without).
    server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      authToken: 'api-token-0123456789abcdef0123456789',
      uiWritable: false,
      services,
      creator: testCreator(services, '/nonexistent'),
      canceller: { store: services.store, blockQueue: services.blockQueue, deleteJob: async () => undefined },
      logger: silentLogger,
    });
  });
  afterEach(async () => {
    standIn?.stop();
    await h.cleanup();
    await server.close();
    await services.close();
  });

  /**
   * Plays Mage inside the pods of the given blocks: as soon as such a Job exists, PUTs `status`
   * to the `--callback-url` of its command, as BlockExecutor does before the process exits.
   */
  function mageInPods(statuses: Record<string, string>): { stop(): void; reported: string[] } {
    const reported: string[] = [];
    const done = new Set<string>();
    let stopped = false;
    const loop = async () => {
      while (!stopped) {
        for (const job of await h.jobs.jobs().catch(() => [])) {
          const block = job.metadata?.annotations?.[BLOCK_LABEL] ?? '';
          const url = flagValue(job, '--callback-url');
          if (!(block in statuses) || !url || done.has(attemptOf(job))) continue;
          done.add(attemptOf(job));
          const response = await fetch(url, {
            method: 'PUT',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ block_run: { status: statuses[block] } }),
          });
          reported.push(`${block}:${response.status}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    void loop();
    return {
      stop: () => {
        stopped = true;
      },
      reported,
    };
  }

  it('a conditional block reporting condition_failed: it and its downstream blocks end condition_failed, no Jobs for them, the run succeeds', async () => {
    await h.jobs.recordCreations();
    h.startWatcher();
    await h.startDispatcher({ KUBEDISPATCH_CALLBACK_URL: `${server.url}/` });
    standIn = mageInPods({ cond: 'condition_failed', side: 'completed' });
    // cond → after → last ; side ; join ← (cond, side). cond runs long enough for its report to arrive first, as in Mage.
    const runId = await h.createRun(
      h.project([
        { uuid: 'cond', annotations: { 'sim.kubedispatch.io/duration': '1500ms' } },
        { uuid: 'after', upstream: ['cond'] },
        { uuid: 'last', upstream: ['after'] },
        { uuid: 'side', annotations: { 'sim.kubedispatch.io/duration': '1500ms' } },
        { uuid: 'join', upstream: ['cond', 'side'] },
      ]),
    );
    const run = await h.waitForRun(runId, 30_000);
    expect(standIn.reported.sort()).toEqual(['cond:200', 'side:200']);
    expect(run.state).toBe('succeeded');
    expect(Object.fromEntries(run.blocks.map((b) => [b.blockUuid, [b.state, b.reason]]))).toEqual({
      cond: ['condition_failed', 'ConditionFailed'],
      side: ['succeeded', 'Complete'],
      after: ['condition_failed', 'UpstreamConditionFailed'],
      join: ['condition_failed', 'UpstreamConditionFailed'],
      last: ['condition_failed', 'UpstreamConditionFailed'],
    });
    const cond = run.blocks.find((b) => b.blockUuid === 'cond')!;
    expect(cond.attempts.map((a) => [a.attempt, a.outcome?.reason, a.outcome?.reported])).toEqual([
      [1, 'ConditionFailed', 'condition_failed'],
    ]);
    expect(run.blocks.find((b) => b.blockUuid === 'side')!.attempts[0]?.outcome).toMatchObject({
      reason: 'Complete',
      reported: 'completed',
    });
    // Only cond and side ever had a Job.
    const created = [...h.jobs.seenUids().keys()].sort();
    const ids = (uuids: string[]) =>
      run.blocks
        .filter((b) => uuids.includes(b.blockUuid))
        .map((b) => `${b.blockRunId}:1`)
        .sort();
    expect(created).toEqual(ids(['cond', 'side']));
  });

  it("the callback URL's last segment is a huge integer and earlier ones carry a per-attempt secret", async () => {
    h.jobs.playWatcher(h.store);
    await h.startDispatcher({ KUBEDISPATCH_CALLBACK_URL: server.url });
    const runId = await h.createRun(h.project([{ uuid: 'a' }, { uuid: 'b', upstream: ['a'] }]));
    const run = await h.waitForRun(runId);
    expect(run.state).toBe('succeeded');
    const urls = (await h.jobs.jobs()).map((job) => flagValue(job, '--callback-url')!);
    expect(urls).toHaveLength(2);
    for (const url of urls) {
      const segments = new URL(url).pathname.split('/');
      expect(url.startsWith(`${server.url}/mage-callback/`)).toBe(true);
      expect(BigInt(segments.at(-1)!) > 2n ** 31n).toBe(true);
      expect(segments.slice(-3, -1)).toEqual(['api', 'block_runs']);
    }
    // Each attempt its own 64-hex secret (the segment after block run id and attempt).
    const secrets = urls.map((url) => new URL(url).pathname.split('/')[4]!);
    for (const secret of secrets) expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(secrets).size).toBe(2);
  });

  it('without mage.callbackUrl the command has no --callback-url', async () => {
    h.jobs.playWatcher(h.store);
    await h.startDispatcher();
    const runId = await h.createRun(h.project([{ uuid: 'a' }]));
    expect((await h.waitForRun(runId)).state).toBe('succeeded');
    const [job] = await h.jobs.jobs();
    expect(commandOf(job!)).not.toContain('--callback-url');
  });
});

describe("retries as Mage's (retry_config, counting the pod's own retries), on the simulated cluster", () => {
  let h: DispatchHarness;

  beforeEach(async () => {
    h = await dispatchHarness();
    await h.jobs.recordCreations();
    h.startWatcher({ KUBEDISPATCH_PULL_ERROR_GRACE_MS: '0' });
    await h.startDispatcher();
  });
  afterEach(async () => {
    await h.cleanup();
  });

  /** Runs a one-block pipeline and returns the block run and how many Jobs it cost. */
  async function runOne(
    block: Parameters<DispatchHarness['project']>[0][number],
    options?: Parameters<DispatchHarness['project']>[2],
  ) {
    const runId = await h.createRun(h.project([block], 'disp', options));
    const run = await h.waitForRun(runId, 30_000);
    const record = run.blocks[0]!;
    const jobs = [...h.jobs.seenUids().entries()].filter(([key]) => key.startsWith(`${record.blockRunId}:`));
    return { run, block: record, jobs: jobs.length, uidsPerAttempt: jobs.map(([, uids]) => uids.size) };
  }

  it('a pod that ran the block and exited non-zero is not retried: Mage already retried inside it', async () => {
    const { block, jobs } = await runOne({
      uuid: 'raises',
      retries: 2,
      annotations: { 'sim.kubedispatch.io/exit-code': '1' },
    });
    expect({
      state: block.state,
      reason: block.reason,
      exitCode: block.exitCode,
      attempt: block.attempt,
      maxAttempts: block.maxAttempts,
    }).toEqual({
      state: 'failed',
      reason: 'BackoffLimitExceeded',
      exitCode: 1,
      attempt: 1,
      maxAttempts: 3,
    });
    expect(jobs).toBe(1);
  });

  it('OOMKilled is retried by kubedispatch until the budget is spent: retries + 1 Jobs, one per attempt', async () => {
    const { block, jobs, uidsPerAttempt } = await runOne({
      uuid: 'oom',
      retries: 2,
      annotations: { 'sim.kubedispatch.io/behavior': 'oom-killed' },
    });
    expect({ state: block.state, reason: block.reason, attempt: block.attempt }).toEqual({
      state: 'failed',
      reason: 'OOMKilled',
      attempt: 3,
    });
    expect(block.attempts.map((a) => a.outcome?.reason)).toEqual(['OOMKilled', 'OOMKilled', 'OOMKilled']);
    expect(jobs).toBe(3);
    expect(uidsPerAttempt).toEqual([1, 1, 1]);
  });

  it('ImagePullBackOff (never started) is retried within the budget', async () => {
    const { block, jobs } = await runOne({
      uuid: 'pull',
      retries: 1,
      annotations: { 'sim.kubedispatch.io/behavior': 'image-pull-backoff' },
    });
    // With no grace the watcher decides on the first pull error it sees (ErrImagePull or ImagePullBackOff).
    expect({ state: block.state, reason: block.reason, attempt: block.attempt }).toEqual({
      state: 'failed',
      reason: expect.stringMatching(/^(ErrImagePull|ImagePullBackOff)$/),
      attempt: 2,
    });
    expect(jobs).toBe(2);
  });

  it("max_delay cuts retries as Mage's loop does: retries 10, delay 1 s fixed, max_delay 3 → 2 retries, 3 Jobs", async () => {
    const { block, jobs } = await runOne({
      uuid: 'cut',
      retryConfig: { retries: 10, delay: 1, exponential_backoff: false, max_delay: 3 },
      annotations: { 'sim.kubedispatch.io/behavior': 'oom-killed' },
    });
    expect({ state: block.state, attempt: block.attempt, maxAttempts: block.maxAttempts }).toEqual({
      state: 'failed',
      attempt: 3,
      maxAttempts: 3,
    });
    expect(jobs).toBe(3);
  });

  it("the project's retry_config applies under the block's, key by key", async () => {
    const project = { retryConfig: { retries: 1, delay: 0, max_delay: 1 } };
    const inherited = await runOne(
      { uuid: 'inherits', retryConfig: {}, annotations: { 'sim.kubedispatch.io/behavior': 'oom-killed' } },
      project,
    );
    expect({
      attempt: inherited.block.attempt,
      maxAttempts: inherited.block.maxAttempts,
      jobs: inherited.jobs,
    }).toEqual({ attempt: 2, maxAttempts: 2, jobs: 2 });
    const overridden = await runOne(
      { uuid: 'overrides', retryConfig: { retries: 0 }, annotations: { 'sim.kubedispatch.io/behavior': 'oom-killed' } },
      project,
    );
    expect({
      attempt: overridden.block.attempt,
      maxAttempts: overridden.block.maxAttempts,
      jobs: overridden.jobs,
    }).toEqual({ attempt: 1, maxAttempts: 1, jobs: 1 });
  });
});
