import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import { leaseKey } from '../../src/watch/watcher.ts';
import { eventually } from './support/eventually.ts';
import { startSim, WatchHarness } from './support/watch-harness.ts';

const WORKER = fileURLToPath(new URL('../../workers/watcher.ts', import.meta.url));

describe('watcher lease: one actor, hot standbys', () => {
  let sim: SimCluster;
  let h: WatchHarness;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(() => sim.stop());
  beforeEach(async () => {
    h = await new WatchHarness(sim).setUp();
  });
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    child = undefined;
    await h.cleanUp();
  });

  const leaseValue = (): Promise<string | null> => h.redis.redis.get(leaseKey(h.redis.prefix));

  function spawnWatcher(): ChildProcess {
    const process_ = spawn(process.execPath, [WORKER], { env: { ...process.env, ...h.env() }, stdio: ['ignore', 'ignore', 'pipe'] });
    process_.stderr?.resume();
    return process_;
  }

  it('a standby acts only after the actor is SIGKILLed, and then decides what finished meanwhile', async () => {
    child = spawnWatcher();
    // A fresh Node process loading the Kubernetes client takes seconds on a busy machine.
    await eventually('the child watcher holding the lease', async () => ((await leaseValue()) ?? undefined), 45_000);
    const standby = h.startWatcher();
    await eventually('the standby synced', () => (standby.synced ? true : undefined));

    const first = await h.attemptWithJob({ sim: { duration: '50ms' } });
    expect(await h.outcome(first)).toMatchObject({ succeeded: true, reason: 'Complete' });
    await h.jobGone(first);
    expect(standby.acting).toBe(false);

    child.kill('SIGKILL');
    await once(child, 'exit');
    // Finishes while nobody holds the lease: the new actor must still decide it.
    const second = await h.attemptWithJob({ sim: { behavior: 'fail', 'exit-code': '5', duration: '50ms' } });
    await eventually('the standby taking over', () => (standby.acting ? true : undefined));
    expect(await h.outcome(second)).toMatchObject({ succeeded: false, reason: 'BackoffLimitExceeded', exitCode: 5 });
    await h.jobGone(second);
  }, 90_000);

  it('hands over when the actor stops cleanly: stopping releases the lease', async () => {
    // A lease far longer than the wait below: only a release lets the standby in.
    const longLease = { KUBEDISPATCH_WATCHER_LEASE_TTL_MS: '60000' };
    const actor = h.startWatcher(undefined, undefined, longLease);
    await eventually('the first watcher acting', () => (actor.acting ? true : undefined));
    const standby = h.startWatcher(undefined, undefined, longLease);
    await eventually('the standby synced', () => (standby.synced ? true : undefined));
    expect(standby.acting).toBe(false);
    await actor.stop();
    await eventually('the standby taking over', () => (standby.acting ? true : undefined), 5_000);
    const attempt = await h.attemptWithJob({ sim: { duration: '50ms' } });
    expect(await h.outcome(attempt)).toMatchObject({ succeeded: true });
  });

  it('stops acting the moment its lease is taken by someone else', async () => {
    const watcher = h.startWatcher();
    await eventually('acting', () => (watcher.acting ? true : undefined));
    await h.redis.redis.set(leaseKey(h.redis.prefix), 'someone-else', 'PX', 60_000);
    await eventually('acting stopped', () => (watcher.acting ? undefined : true));

    const attempt = await h.attemptWithJob({ sim: { duration: '50ms' } });
    await eventually('the Job finished in the cluster', async () => {
      const job = await h.batch.readNamespacedJob({ namespace: h.namespace, name: attempt.jobName });
      return job.status?.conditions?.some((condition) => condition.type === 'Complete' && condition.status === 'True') ? true : undefined;
    });
    await watcher.sweep();
    expect(await h.store.getOutcome(attempt)).toBeUndefined();

    await h.redis.redis.del(leaseKey(h.redis.prefix));
    expect(await h.outcome(attempt)).toMatchObject({ succeeded: true, reason: 'Complete' });
  });
});
