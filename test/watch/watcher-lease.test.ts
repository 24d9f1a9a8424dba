import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { leaseKey } from '../../src/watch/watcher.ts';
import { eventually } from './support/eventually.ts';
import { useWatchWorld } from './support/watch-harness.ts';

const WORKER = fileURLToPath(new URL('../../workers/watcher.ts', import.meta.url));

describe('watcher lease: one actor, hot standbys', () => {
  const world = useWatchWorld();
  let child: ChildProcess | undefined;
  // Registered after the world's hooks, so it runs before its clean-up.
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    child = undefined;
  });

  const leaseValue = (): Promise<string | null> => world.h.redis.redis.get(leaseKey(world.h.redis.prefix));

  // Long enough that a loaded machine delaying the actor's renewals (every third of it) never lets
  // the standby in early; the takeover after a SIGKILL then waits at most this long.
  const generousLease = { KUBEDISPATCH_WATCHER_LEASE_TTL_MS: '6000' };

  function spawnWatcher(): ChildProcess {
    const process_ = spawn(process.execPath, [WORKER], {
      env: { ...process.env, ...world.h.env(undefined, generousLease) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    process_.stderr?.resume();
    return process_;
  }

  it('a standby acts only after the actor is SIGKILLed, and then decides what finished meanwhile', async () => {
    child = spawnWatcher();
    // A fresh Node process loading the Kubernetes client takes seconds on a busy machine.
    await eventually('the child watcher holding the lease', async () => (await leaseValue()) ?? undefined, 45_000);
    const standby = world.h.startWatcher(undefined, undefined, generousLease);
    await eventually('the standby synced', () => (standby.synced ? true : undefined));

    const first = await world.h.attemptWithJob({ sim: { duration: '50ms' } });
    expect(await world.h.outcome(first)).toMatchObject({ succeeded: true, reason: 'Complete' });
    await world.h.jobGone(first);
    expect(standby.acting).toBe(false);

    child.kill('SIGKILL');
    await once(child, 'exit');
    // Finishes while nobody holds the lease: the new actor must still decide it.
    const second = await world.h.attemptWithJob({ sim: { behavior: 'fail', 'exit-code': '5', duration: '50ms' } });
    await eventually('the standby taking over', () => (standby.acting ? true : undefined), 20_000);
    expect(await world.h.outcome(second)).toMatchObject({
      succeeded: false,
      reason: 'BackoffLimitExceeded',
      exitCode: 5,
    });
    await world.h.jobGone(second);
  }, 90_000);

  it('hands over when the actor stops cleanly: stopping releases the lease', async () => {
    // A lease far longer than the wait below: only a release lets the standby in.
    const longLease = { KUBEDISPATCH_WATCHER_LEASE_TTL_MS: '60000' };
    const actor = world.h.startWatcher(undefined, undefined, longLease);
    await eventually('the first watcher acting', () => (actor.acting ? true : undefined));
    const standby = world.h.startWatcher(undefined, undefined, longLease);
    await eventually('the standby synced', () => (standby.synced ? true : undefined));
    expect(standby.acting).toBe(false);
    await actor.stop();
    await eventually('the standby taking over', () => (standby.acting ? true : undefined), 5_000);
    const attempt = await world.h.attemptWithJob({ sim: { duration: '50ms' } });
    expect(await world.h.outcome(attempt)).toMatchObject({ succeeded: true });
  });

  it('stops acting the moment its lease is taken by someone else', async () => {
    const watcher = world.h.startWatcher();
    await eventually('acting', () => (watcher.acting ? true : undefined));
    await world.h.redis.redis.set(leaseKey(world.h.redis.prefix), 'someone-else', 'PX', 60_000);
    await eventually('acting stopped', () => (watcher.acting ? undefined : true));

    const attempt = await world.h.attemptWithJob({ sim: { duration: '50ms' } });
    await eventually('the Job finished in the cluster', async () => {
      const job = await world.h.batch.readNamespacedJob({ namespace: world.h.namespace, name: attempt.jobName });
      return job.status?.conditions?.some((condition) => condition.type === 'Complete' && condition.status === 'True')
        ? true
        : undefined;
    });
    await watcher.sweep();
    expect(await world.h.store.getOutcome(attempt)).toBeUndefined();

    await world.h.redis.redis.del(leaseKey(world.h.redis.prefix));
    expect(await world.h.outcome(attempt)).toMatchObject({ succeeded: true, reason: 'Complete' });
  });
});
