import { beforeEach, describe, expect, it } from 'vitest';
import { RunStore } from '../../src/runs/run-store.ts';
import { eventually } from './support/eventually.ts';
import { startSim, useWatchWorld, WatchHarness } from './support/watch-harness.ts';
import { attemptJobManifest, runningAttempt } from './support/watched-jobs.ts';

describe('watcher on the simulated cluster: outcomes', () => {
  const world = useWatchWorld();
  beforeEach(() => {
    world.h.startWatcher();
  });

  it('records success, then deletes the finished Job', async () => {
    const attempt = await world.h.attemptWithJob({ sim: { duration: '100ms' } });
    const outcome = await world.h.outcome(attempt);
    expect(outcome).toMatchObject({ succeeded: true, reason: 'Complete', exitCode: 0 });
    expect(outcome.message).toMatch(/succeeded pods/);
    await world.h.jobGone(attempt);
  });

  it("leaves another installation's Jobs alone (same cluster, same ids, another Redis prefix)", async () => {
    const otherPrefix = `${world.h.redis.prefix}-other`;
    const other = await runningAttempt(new RunStore(world.h.redis.redis, otherPrefix), world.h.namespace);
    const foreign = { ...other, jobName: `${other.jobName}-other` };
    await world.h.batch.createNamespacedJob({
      namespace: foreign.namespace,
      body: attemptJobManifest(foreign, otherPrefix, { sim: { duration: '50ms' } }),
    });
    const ours = await world.h.attemptWithJob({ sim: { duration: '100ms' } });
    await world.h.outcome(ours);
    await world.h.jobGone(ours);
    await world.h.sweep();
    // Finished and never deleted: the watcher did not see it (ids are per installation, so it
    // would also have taken the foreign outcome for one of its own attempts).
    expect(await world.h.jobExists(foreign)).toBe(true);
  });

  it('records a failure with exit code, log tail and warning events', async () => {
    const attempt = await world.h.attemptWithJob({
      sim: { behavior: 'fail', 'exit-code': '3', logs: 'one\ntwo\nthree\nfour', duration: '50ms' },
    });
    const outcome = await world.h.outcome(attempt);
    expect(outcome).toMatchObject({
      succeeded: false,
      reason: 'BackoffLimitExceeded',
      exitCode: 3,
      logTail: ['two', 'three', 'four'],
    });
    expect(outcome.message).toMatch(/backoff limit.*container "main" terminated with Error \(exit code 3\)/i);
    expect(outcome.events?.some((event) => event.startsWith('BackoffLimitExceeded:'))).toBe(true);
    await world.h.jobGone(attempt);
  });

  it('does not fail a Job that still has retries under backoffLimit, and counts the pods Kubernetes retried', async () => {
    const attempt = await world.h.attemptWithJob({
      backoffLimit: 2,
      sim: { 'failures-before-success': '1', 'exit-code': '2', duration: '50ms' },
    });
    expect(await world.h.outcome(attempt)).toMatchObject({ succeeded: true, reason: 'Complete', failedPods: 1 });
  });

  it('reports DeadlineExceeded', async () => {
    const attempt = await world.h.attemptWithJob({ activeDeadlineSeconds: 1, sim: { duration: '30s' } });
    const outcome = await world.h.outcome(attempt);
    expect(outcome).toMatchObject({ succeeded: false, reason: 'DeadlineExceeded' });
    expect(outcome.message).toMatch(/DeadlineExceeded/);
  });

  it('reports OOMKilled with its exit code', async () => {
    const attempt = await world.h.attemptWithJob({ sim: { behavior: 'oom-killed', duration: '50ms' } });
    const outcome = await world.h.outcome(attempt);
    expect(outcome).toMatchObject({ succeeded: false, reason: 'OOMKilled', exitCode: 137 });
    expect(outcome.message).toMatch(/OOMKilled \(exit code 137\)/);
  });

  it('fails a pod that cannot pull its image after the grace, and stops its Job', async () => {
    const attempt = await world.h.attemptWithJob({ sim: { behavior: 'image-pull-backoff' } });
    const outcome = await world.h.outcome(attempt);
    expect(outcome.succeeded).toBe(false);
    expect(['ErrImagePull', 'ImagePullBackOff']).toContain(outcome.reason);
    expect(outcome.message).toMatch(/could not start after .*registry\.example/);
    await world.h.jobGone(attempt);
  });

  it('fails a pod with a container config error after the grace', async () => {
    const attempt = await world.h.attemptWithJob({ sim: { behavior: 'create-container-config-error' } });
    expect(await world.h.outcome(attempt)).toMatchObject({ succeeded: false, reason: 'CreateContainerConfigError' });
  });

  it('fails an unschedulable pod at the start timeout with the scheduler message', async () => {
    const attempt = await world.h.attemptWithJob({ sim: { behavior: 'unschedulable' } });
    const outcome = await world.h.outcome(attempt);
    expect(outcome).toMatchObject({ succeeded: false, reason: 'Unschedulable' });
    expect(outcome.message).toMatch(/could not start after [\d.]+s: .*nodes/);
    await world.h.jobGone(attempt);
  });

  it('fails with JobDeleted when a running Job is deleted out of band', async () => {
    const attempt = await world.h.attemptWithJob({ sim: { duration: '30s' } });
    await eventually('the pod running', async () => {
      const pods = await world.h.core.listNamespacedPod({
        namespace: world.h.namespace,
        labelSelector: `job-name=${attempt.jobName}`,
      });
      return pods.items.some((pod) => pod.status?.phase === 'Running') ? true : undefined;
    });
    await world.h.batch.deleteNamespacedJob({
      namespace: world.h.namespace,
      name: attempt.jobName,
      propagationPolicy: 'Background',
    });
    const outcome = await world.h.outcome(attempt);
    expect(outcome).toMatchObject({ succeeded: false, reason: 'JobDeleted' });
    expect(outcome.message).toMatch(
      new RegExp(`Job ${world.h.namespace}/${attempt.jobName} was deleted before it finished`),
    );
  });

  it('decides from the final state of a Job deleted by a TTL of 0 before it was reconciled', async () => {
    const attempt = await world.h.attemptWithJob({
      ttlSecondsAfterFinished: 0,
      sim: { behavior: 'fail', 'exit-code': '6', duration: '50ms' },
    });
    const outcome = await world.h.outcome(attempt);
    expect(outcome).toMatchObject({ succeeded: false, reason: 'BackoffLimitExceeded' });
    await world.h.sweep();
    expect(await world.h.store.getOutcome(attempt)).toEqual(outcome);
  });

  it('leaves a Job with ttlSecondsAfterFinished to Kubernetes, and its TTL deletion changes nothing', async () => {
    const deletesBefore = world.sim.stats().byVerbResource['delete jobs'] ?? 0;
    const attempt = await world.h.attemptWithJob({ ttlSecondsAfterFinished: 1, sim: { duration: '50ms' } });
    const outcome = await world.h.outcome(attempt);
    expect(outcome.reason).toBe('Complete');
    await world.h.jobGone(attempt);
    await world.h.sweep();
    expect(await world.h.store.getOutcome(attempt)).toEqual(outcome);
    // The simulated TTL controller deletes inside the API server; no client asked for it.
    expect(world.sim.stats().byVerbResource['delete jobs'] ?? 0).toBe(deletesBefore);
  });
});

describe('watcher on the simulated cluster: no namespaces configured', () => {
  it('watches every namespace through the cluster-wide endpoints', async () => {
    // A cluster of its own: a cluster-wide watcher would also see other tests' Jobs.
    const own = await startSim();
    const h = await new WatchHarness(own).setUp();
    try {
      h.startWatcher(undefined, undefined, { KUBEDISPATCH_NAMESPACES: '' });
      const attempt = await h.attemptWithJob({ sim: { duration: '50ms' } });
      expect(await h.outcome(attempt)).toMatchObject({ succeeded: true, reason: 'Complete' });
      await h.jobGone(attempt);
      const watched = Object.keys(own.stats().byVerbResource).filter((key) => key.startsWith('watch'));
      expect(watched.sort()).toEqual(['watch jobs', 'watch pods']);
    } finally {
      await h.cleanUp();
      await own.stop();
    }
  });
});
