import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChaosProxy, type ChaosProxy } from '../../src/chaos/chaos-proxy.ts';
import type { Env } from '../../src/config/env.ts';
import type { BlockRunState } from '../../src/runs/types.ts';
import { spawnWorker, type ChildWorker } from '../support/worker-process.ts';
import { dispatchHarness, type DispatchHarness } from './support/harness.ts';
import { waitFor } from './support/wait-for.ts';

/** One isolated world per case: Redis prefix, simulated cluster, chaos proxy, real watcher, a dispatcher process. */
interface World {
  h: DispatchHarness;
  proxy: ChaosProxy;
  first: ChildWorker;
}

async function world(childEnv: Env): Promise<World> {
  const h = await dispatchHarness();
  const proxy = await startChaosProxy({ targetKubeconfig: h.sim.kubeconfigPath });
  await h.jobs.recordCreations();
  h.startWatcher();
  const first = spawnWorker('dispatcher', h.env({ KUBECONFIG: proxy.kubeconfigPath, LOG_LEVEL: 'info', ...childEnv }));
  await waitFor(
    'the dispatcher process to start',
    () => first.output().includes('"msg":"dispatcher started"'),
    100_000,
  );
  return { h, proxy, first };
}

const blockStates = async (h: DispatchHarness, runId: number): Promise<BlockRunState[]> =>
  (await h.store.getRun(runId))?.blocks.map((b) => b.state) ?? [];
const allRunning = async ({ h }: World, runId: number) =>
  (await blockStates(h, runId)).every((state) => state === 'running');

interface TestBlock {
  uuid: string;
  podDurationMs: number;
  /** Expected reason (default `Complete`: succeeded). */
  reason?: string;
}

/** Each block run finished as expected on its first attempt, and each had exactly one Job ever. */
async function expectExactlyOnce({ h, first }: World, runId: number, blocks: TestBlock[]): Promise<void> {
  const run = await h.waitForRun(runId, 20_000).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\nfirst dispatcher's log:\n${first.output()}`);
  });
  const summary = (reason: string | undefined, state: string, attempt: number, attempts: number) => ({
    reason,
    state,
    attempt,
    attempts,
  });
  expect(run.blocks.map((b) => summary(b.reason, b.state, b.attempt, b.attempts.length))).toEqual(
    blocks.map((b) => summary(b.reason ?? 'Complete', b.reason ? 'failed' : 'succeeded', 1, 1)),
  );
  // Every Job ever created (the watcher deletes finished ones): one per block run, for attempt 1.
  const created = [...h.jobs.seenUids().entries()].map(([attempt, uids]) => [attempt, uids.size]).sort();
  expect(created).toEqual(run.blocks.map((b) => [`${b.blockRunId}:1`, 1]).sort());
}

interface Scenario {
  name: string;
  childEnv?: Env;
  /** Added latency of create requests, so that the kill lands while one is in flight. */
  createLatencyMs?: number;
  blocks: TestBlock[];
  killPoint: string;
  killWhen(world: World, runId: number): Promise<boolean>;
  signal: 'SIGKILL' | 'SIGTERM';
  /** Between the kill and the takeover. */
  meanwhile?(world: World, runId: number): Promise<void>;
}

const scenarios: Scenario[] = [
  {
    name: 'SIGKILL with its create request in flight: the request lands after the death, the next dispatcher adopts the Job',
    createLatencyMs: 400,
    blocks: [{ uuid: 'a', podDurationMs: 200 }],
    killPoint: 'the block run taken',
    killWhen: async ({ h }, runId) => (await blockStates(h, runId))[0] === 'dispatching',
    signal: 'SIGKILL',
  },
  {
    name: 'SIGKILL right after its Job appeared, before or after it was recorded as running',
    blocks: [{ uuid: 'a', podDurationMs: 1000 }],
    killPoint: 'the Job created',
    killWhen: async ({ h }) => h.jobs.seenUids().size > 0,
    signal: 'SIGKILL',
  },
  {
    // a: still running at the takeover; b: outcome decided and Job deleted by the watcher before
    // the takeover; c: Job deleted out of band meanwhile. None may be created again.
    name: 'SIGKILL while waiting on three block runs whose Jobs then finish, or vanish, before the takeover',
    blocks: [
      { uuid: 'a', podDurationMs: 1500 },
      { uuid: 'b', podDurationMs: 700 },
      { uuid: 'c', podDurationMs: 30_000, reason: 'JobDeleted' },
    ],
    killPoint: 'all blocks running',
    killWhen: allRunning,
    signal: 'SIGKILL',
    async meanwhile({ h }, runId) {
      const [, b, c] = (await h.store.getRun(runId))!.blocks;
      await h.jobs.batch.deleteNamespacedJob({
        name: c!.jobName!,
        namespace: c!.namespace!,
        propagationPolicy: 'Background',
      });
      await waitFor('the watcher to decide b', () => h.store.getOutcome({ blockRunId: b!.blockRunId, attempt: 1 }));
      await waitFor(
        "the watcher to delete b's Job",
        async () => !(await h.jobs.jobs()).some((job) => job.metadata?.name === b!.jobName),
      );
    },
  },
  {
    name: 'SIGTERM hands its block runs over at once (locks that would outlast the test) and exits 0',
    // Only a clean hand-over lets the next dispatcher finish in time with a lock this long.
    childEnv: { KUBEDISPATCH_DISPATCHER_LOCK_DURATION_MS: '60000' },
    blocks: [{ uuid: 'a', podDurationMs: 800 }],
    killPoint: 'the block running',
    killWhen: allRunning,
    signal: 'SIGTERM',
  },
];

/**
 * Dispatcher processes (`node workers/dispatcher.ts`) stopped for real at different points of a
 * block run; a dispatcher started afterwards takes over (after the dead one's lock expires).
 * The real watcher decides outcomes and deletes finished Jobs, so a Job created a second time
 * would show up as a second uid.
 */
describe('dispatcher processes (node workers/dispatcher.ts) killed mid-flight, and sharing a queue', () => {
  // Processes start slowly on a busy machine: every case's world starts at once, up front, and
  // each test starts with its dispatcher process ready.
  const worlds = new Map<Scenario | 'shared queue', Promise<World>>();

  beforeAll(async () => {
    for (const scenario of [...scenarios, 'shared queue' as const]) {
      const starting = world(typeof scenario === 'string' ? {} : (scenario.childEnv ?? {}));
      starting.catch(() => undefined);
      worlds.set(scenario, starting);
    }
    await Promise.all(worlds.values());
  }, 120_000);
  afterAll(async () => {
    for (const starting of worlds.values()) {
      const { h, proxy, first } = await starting;
      await first.stop('SIGKILL');
      await h.cleanup();
      await proxy.stop();
    }
  });

  for (const scenario of scenarios) {
    it(scenario.name, async () => {
      const current = await worlds.get(scenario)!;
      const { h, proxy, first } = current;
      if (scenario.createLatencyMs)
        proxy.setFaults({
          rules: [{ verbs: ['create'], resources: ['jobs'], fault: 'latency', ms: scenario.createLatencyMs }],
        });
      const runId = await h.createRun(
        h.project(
          scenario.blocks.map((b) => ({
            uuid: b.uuid,
            annotations: { 'sim.kubedispatch.io/duration': `${b.podDurationMs}ms` },
          })),
        ),
      );
      await waitFor(
        `${scenario.killPoint} (dispatcher log: ${first.output()})`,
        () => scenario.killWhen(current, runId),
        30_000,
      );
      expect(await first.stop(scenario.signal)).toBe(scenario.signal === 'SIGKILL' ? null : 0);
      await scenario.meanwhile?.(current, runId);
      await h.startDispatcher();
      await expectExactlyOnce(current, runId, scenario.blocks);
    });
  }

  it('a dispatcher process and another dispatcher on one queue never create a Job twice', async () => {
    const current = await worlds.get('shared queue')!;
    const { h } = current;
    await h.startDispatcher();
    const blocks = Array.from({ length: 10 }, (_, i) => ({ uuid: `b${i}`, podDurationMs: 100 }));
    const runId = await h.createRun(
      h.project(
        blocks.map((b) => ({ uuid: b.uuid, annotations: { 'sim.kubedispatch.io/duration': `${b.podDurationMs}ms` } })),
      ),
    );
    // One Job ever per block run. The number of create requests is not asserted: under a 1 s lock a
    // loaded machine may let a lock lapse, and the dispatcher taking over legally asks again (409, adopted).
    await expectExactlyOnce(current, runId, blocks);
  });
});
