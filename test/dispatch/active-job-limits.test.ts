import type { V1Job } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatcherMetrics } from '../../src/dispatch/metrics.ts';
import { dispatchHarness, type DispatchHarness } from './support/harness.ts';

const unfinished = (job: V1Job) =>
  !job.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');

/** Samples the number of unfinished Jobs until the run ends; returns the highest seen. */
async function peakActiveJobs(h: DispatchHarness, runId: number): Promise<number> {
  let peak = 0;
  const finished = h.waitForRun(runId, 20_000);
  let done = false;
  void finished.finally(() => {
    done = true;
  });
  while (!done) peak = Math.max(peak, (await h.jobs.jobs()).filter(unfinished).length);
  expect((await finished).state).toBe('succeeded');
  return peak;
}

describe('caps on active Jobs shared by all dispatchers', () => {
  let h: DispatchHarness;

  beforeEach(async () => {
    h = await dispatchHarness();
    h.jobs.playWatcher(h.store);
  });
  afterEach(() => h.cleanup());

  it('limits.maxActiveJobs caps active Jobs across two dispatchers (queue global concurrency)', async () => {
    await h.startDispatcher({ KUBEDISPATCH_MAX_ACTIVE_JOBS: '2' }, { concurrency: 8 });
    await h.startDispatcher({ KUBEDISPATCH_MAX_ACTIVE_JOBS: '2' }, { concurrency: 8 });
    const runId = await h.createRun(
      h.project(
        Array.from({ length: 6 }, (_, i) => ({
          uuid: `b${i}`,
          annotations: { 'sim.kubedispatch.io/duration': '250ms' },
        })),
      ),
    );
    const peak = await peakActiveJobs(h, runId);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(2);
  });

  it('limits.maxActiveJobsPerNamespace delays block runs without spending attempts', async () => {
    const waitsBefore =
      (await dispatcherMetrics.rateLimitWaits.get()).values.find((v) => v.labels['limit'] === 'namespace_slots')
        ?.value ?? 0;
    await h.startDispatcher({ KUBEDISPATCH_MAX_ACTIVE_JOBS_PER_NAMESPACE: '1' }, { concurrency: 8 });
    const runId = await h.createRun(
      h.project(
        Array.from({ length: 3 }, (_, i) => ({
          uuid: `b${i}`,
          annotations: { 'sim.kubedispatch.io/duration': '250ms' },
        })),
      ),
    );
    expect(await peakActiveJobs(h, runId)).toBe(1);
    const run = (await h.store.getRun(runId))!;
    expect(run.blocks.map((b) => b.attempt)).toEqual([1, 1, 1]);
    const waitsAfter =
      (await dispatcherMetrics.rateLimitWaits.get()).values.find((v) => v.labels['limit'] === 'namespace_slots')
        ?.value ?? 0;
    expect(waitsAfter).toBeGreaterThan(waitsBefore);
  });
});
