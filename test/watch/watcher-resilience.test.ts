import { afterEach, describe, expect, it } from 'vitest';
import { register } from 'prom-client';
import { startChaosProxy, type ChaosProxy } from '../../src/chaos/chaos-proxy.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import { eventually } from './support/eventually.ts';
import { useWatchWorld } from './support/watch-harness.ts';
import type { AttemptJob } from './support/watched-jobs.ts';

async function restarts(cause: string): Promise<number> {
  const metric = await register.getSingleMetric('kubedispatch_watcher_watch_restarts_total')!.get();
  return metric.values.filter((value) => value.labels['cause'] === cause).reduce((sum, value) => sum + value.value, 0);
}

/** API requests the watcher makes only when it decides or cleans up (logs, events, deletes). */
function actionRequests(sim: SimCluster): number {
  const counts = sim.stats().byVerbResource;
  return Object.entries(counts)
    .filter(([key]) => /log|events|delete jobs/.test(key) && !key.startsWith('watch'))
    .reduce((sum, [, count]) => sum + count, 0);
}

describe('watcher resilience', () => {
  const world = useWatchWorld();
  let chaos: ChaosProxy | undefined;
  afterEach(async () => {
    await chaos?.stop();
    chaos = undefined;
  });

  async function mixedJobs(): Promise<{ ok: AttemptJob; failing: AttemptJob; oom: AttemptJob; retried: AttemptJob }> {
    const [ok, failing, oom, retried] = await Promise.all([
      world.h.attemptWithJob({ sim: { duration: '150ms' } }),
      world.h.attemptWithJob({ sim: { behavior: 'fail', 'exit-code': '4', duration: '100ms' } }),
      world.h.attemptWithJob({ sim: { behavior: 'oom-killed', duration: '120ms' } }),
      world.h.attemptWithJob({ backoffLimit: 3, sim: { 'failures-before-success': '2', duration: '80ms' } }),
    ]);
    return { ok: ok!, failing: failing!, oom: oom!, retried: retried! };
  }

  async function expectCorrectOutcomes(jobs: Awaited<ReturnType<typeof mixedJobs>>): Promise<void> {
    expect(await world.h.outcome(jobs.ok, 15_000)).toMatchObject({ succeeded: true, reason: 'Complete' });
    expect(await world.h.outcome(jobs.failing, 15_000)).toMatchObject({
      succeeded: false,
      reason: 'BackoffLimitExceeded',
      exitCode: 4,
    });
    expect(await world.h.outcome(jobs.oom, 15_000)).toMatchObject({
      succeeded: false,
      reason: 'OOMKilled',
      exitCode: 137,
    });
    expect(await world.h.outcome(jobs.retried, 15_000)).toMatchObject({ succeeded: true, reason: 'Complete' });
  }

  it('decides correctly while watches are cut every few events and forced to relist with 410', async () => {
    chaos = await startChaosProxy({
      targetKubeconfig: world.sim.kubeconfigPath,
      faults: {
        seed: 7,
        rules: [
          { fault: 'cut-watch', afterEvents: 3 },
          { fault: 'gone', every: 3 },
          { fault: 'error', code: 503, verbs: ['list'], every: 4 },
        ],
      },
    });
    const [closedBefore, goneBefore] = [await restarts('closed'), await restarts('gone')];
    world.h.startWatcher(chaos.kubeConfig, chaos.kubeconfigPath);
    await expectCorrectOutcomes(await mixedJobs());
    expect(await restarts('closed')).toBeGreaterThan(closedBefore);
    expect(await restarts('gone')).toBeGreaterThan(goneBefore);
  });

  it('tears down and resumes a watch that stays idle, and still decides', async () => {
    const idleBefore = await restarts('idle');
    // Shorter than the simulation's bookmark interval: every quiet watch is torn down.
    world.h.startWatcher(undefined, undefined, { KUBEDISPATCH_WATCH_IDLE_TIMEOUT_MS: '300' });
    await eventually('an idle restart', async () => ((await restarts('idle')) > idleBefore ? true : undefined));
    await expectCorrectOutcomes(await mixedJobs());
  });

  it('changes nothing when a restarted watcher replays the full list', async () => {
    const keep = { KUBEDISPATCH_DELETE_FINISHED_JOBS: 'false' };
    const first = world.h.startWatcher(undefined, undefined, keep);
    const jobs = await mixedJobs();
    await expectCorrectOutcomes(jobs);
    const before = await Promise.all(Object.values(jobs).map((job) => world.h.store.getOutcome(job)));
    await first.stop();
    const requestsBefore = actionRequests(world.sim);

    const second = world.h.startWatcher(undefined, undefined, keep);
    await eventually('the second watcher acting on a synced cache', () =>
      second.acting && second.synced ? true : undefined,
    );
    await second.sweep();
    await world.h.sweep();
    for (const job of Object.values(jobs)) expect(await world.h.jobExists(job)).toBe(true);
    expect(await Promise.all(Object.values(jobs).map((job) => world.h.store.getOutcome(job)))).toEqual(before);
    expect(actionRequests(world.sim)).toBe(requestsBefore);
  });
});
