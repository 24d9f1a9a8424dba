import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobName } from '../../src/render/job-name.ts';
import { dispatchHarness, type DispatchHarness } from './support/harness.ts';

/**
 * A dispatcher created a Job and died before recording it as running; the watcher decided the
 * attempt from the Job meanwhile. The dispatcher that takes over applies that outcome without
 * creating anything, and the attempt's record still names the Job that ran it (found by
 * `npm run soak`: such attempts had no Job name).
 */
describe('an attempt decided before its Job was recorded', () => {
  let h: DispatchHarness;

  beforeAll(async () => {
    h = await dispatchHarness();
  });
  afterAll(async () => {
    await h.cleanup();
  });

  it('is applied without a second Job, and its record names the Job', async () => {
    await h.jobs.recordCreations();
    const runId = await h.createRun(h.project([{ uuid: 'a' }]));
    const [block] = (await h.store.getRun(runId))!.blocks;
    // What the dead dispatcher had done: taken the attempt (its Job then ran and was decided).
    expect(await h.store.markDispatching(runId, 'a', 1)).toBe('ok');
    await h.store.recordOutcome(
      { blockRunId: block!.blockRunId, attempt: 1 },
      { succeeded: true, reason: 'Complete', message: 'decided by the watcher', finishedAt: Date.now() },
    );

    await h.startDispatcher();
    const run = await h.waitForRun(runId);
    const [finished] = run.blocks;
    expect(finished).toMatchObject({
      state: 'succeeded',
      reason: 'Complete',
      jobName: (
        jobName({ clusterUuid: 'mage', prefix: 'disp', trigger: '', blockRunId: block!.blockRunId, attempt: 1 }) as {
          name: string;
        }
      ).name,
    });
    expect(finished!.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        jobName: finished!.jobName,
        namespace: finished!.namespace,
        outcome: expect.objectContaining({ reason: 'Complete' }),
      }),
    ]);
    expect(finished!.namespace).toBeTruthy();
    expect(h.jobs.seenUids().size).toBe(0);
    expect(await h.store.activeAttempts()).toEqual([]);
  });
});
