import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChaosProxy, type ChaosProxy } from '../../src/chaos/chaos-proxy.ts';
import { jobName } from '../../src/render/job-name.ts';
import { dispatchHarness, type DispatchHarness } from './support/harness.ts';
import { waitFor } from './support/wait-for.ts';

/**
 * Two processings of one attempt (a dispatcher lost its queue lock under load and the block run
 * was handed out again): while one retries its create through API errors, the other creates the
 * Job, records it, and the watcher decides it and deletes it. A create retried after that would
 * succeed (the name is free again) and run the block a second time (found by `npm run soak`:
 * a Job created twice). The retry must create nothing and take the recorded outcome instead.
 */
describe('a create retried after the attempt moved on', () => {
  let h: DispatchHarness;
  let proxy: ChaosProxy;

  beforeAll(async () => {
    h = await dispatchHarness();
    proxy = await startChaosProxy({ targetKubeconfig: h.sim.kubeconfigPath });
  });
  afterAll(async () => {
    await h.cleanup();
    await proxy.stop();
  });

  it("is not sent: the block run ends with the other processing's outcome and no Job is created", async () => {
    proxy.setFaults({ rules: [{ verbs: ['create'], resources: ['jobs'], fault: 'error', code: 503 }] });
    await h.startDispatcher({ KUBECONFIG: proxy.kubeconfigPath, KUBEDISPATCH_API_RETRY_DEADLINE_MS: '60000' });
    const runId = await h.createRun(h.project([{ uuid: 'a' }]));
    const [block] = (await h.store.getRun(runId))!.blocks;
    await waitFor(
      'the dispatcher retrying its create',
      async () => (await h.store.getBlock(runId, 'a'))?.state === 'dispatching',
    );

    // The other processing: its Job recorded as running, then decided by the watcher (and deleted).
    const name = (
      jobName({ clusterUuid: 'mage', prefix: 'disp', trigger: '', blockRunId: block!.blockRunId, attempt: 1 }) as {
        name: string;
      }
    ).name;
    expect(await h.store.markRunning(runId, 'a', 1, name, 'default')).toBe(true);
    await h.store.recordOutcome(
      { blockRunId: block!.blockRunId, attempt: 1 },
      { succeeded: true, reason: 'Complete', message: "the other processing's Job", finishedAt: Date.now() },
    );
    proxy.setFaults({ rules: [] });

    const run = await h.waitForRun(runId);
    expect(run.blocks.map((b) => [b.state, b.reason, b.attempts.length])).toEqual([['succeeded', 'Complete', 1]]);
    expect(h.sim.stats().byVerbResource['create jobs'] ?? 0).toBe(0);
  });
});
