import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChaosProxy, type ChaosProxy } from '../../src/chaos/chaos-proxy.ts';
import type { Env } from '../../src/config/env.ts';
import type { BlockRunState } from '../../src/runs/types.ts';
import { spawnDispatcher, type ChildDispatcher } from './support/child-dispatcher.ts';
import { dispatchHarness, type DispatchHarness } from './support/harness.ts';
import { waitFor } from './support/wait-for.ts';

/** One isolated world per case: Redis prefix, simulated cluster, chaos proxy, real watcher, a dispatcher process. */
interface World {
  h: DispatchHarness;
  proxy: ChaosProxy;
  first: ChildDispatcher;
}

async function world(childEnv: Env): Promise<World> {
  const h = await dispatchHarness();
  const proxy = await startChaosProxy({ targetKubeconfig: h.sim.kubeconfigPath });
  await h.jobs.recordCreations();
  h.startWatcher();
  const first = spawnDispatcher(h.env({ KUBECONFIG: proxy.kubeconfigPath, LOG_LEVEL: 'info', ...childEnv }));
  await waitFor('the dispatcher process to start', () => first.output().includes('"msg":"dispatcher started"'), 100_000);
  return { h, proxy, first };
}

const blockState = async (h: DispatchHarness, runId: number): Promise<BlockRunState | undefined> => (await h.store.getRun(runId))?.blocks[0]?.state;

async function expectExactlyOnce({ h, first }: World, runId: number): Promise<void> {
  const run = await h.waitForRun(runId, 20_000).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\nfirst dispatcher's log:\n${first.output()}`);
  });
  const block = run.blocks[0]!;
  expect({ run: run.state, block: block.state, attempt: block.attempt, attempts: block.attempts.length }).toEqual({ run: 'succeeded', block: 'succeeded', attempt: 1, attempts: 1 });
  // Every Job ever created (the watcher deletes finished ones): exactly one, for attempt 1.
  expect([...h.jobs.seenUids().entries()].map(([attempt, uids]) => [attempt, uids.size])).toEqual([[`${block.blockRunId}:1`, 1]]);
}

interface Scenario {
  name: string;
  childEnv?: Env;
  /** Added latency of create requests, so that the kill lands while one is in flight. */
  createLatencyMs?: number;
  podDurationMs: number;
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
    podDurationMs: 200,
    killPoint: 'the block run taken',
    killWhen: async ({ h }, runId) => (await blockState(h, runId)) === 'dispatching',
    signal: 'SIGKILL',
  },
  {
    name: 'SIGKILL right after its Job appeared, before or after it was recorded as running',
    podDurationMs: 1000,
    killPoint: 'the Job created',
    killWhen: async ({ h }) => h.jobs.seenUids().size > 0,
    signal: 'SIGKILL',
  },
  {
    name: 'SIGKILL while waiting for the outcome',
    podDurationMs: 600,
    killPoint: 'the block running',
    killWhen: async ({ h }, runId) => (await blockState(h, runId)) === 'running',
    signal: 'SIGKILL',
  },
  {
    name: 'SIGKILL while waiting, outcome decided and Job deleted before the takeover: not created again',
    podDurationMs: 300,
    killPoint: 'the block running',
    killWhen: async ({ h }, runId) => (await blockState(h, runId)) === 'running',
    signal: 'SIGKILL',
    async meanwhile({ h }, runId) {
      const block = (await h.store.getRun(runId))!.blocks[0]!;
      await waitFor('the watcher to decide the outcome', () => h.store.getOutcome({ blockRunId: block.blockRunId, attempt: 1 }));
      await waitFor('the watcher to delete the Job', async () => (await h.jobs.jobs()).length === 0);
    },
  },
  {
    name: 'SIGTERM hands its block runs over at once (locks that would outlast the test) and exits 0',
    // Only a clean hand-over lets the next dispatcher finish in time with a lock this long.
    childEnv: { KUBEDISPATCH_DISPATCHER_LOCK_DURATION_MS: '60000' },
    podDurationMs: 800,
    killPoint: 'the block running',
    killWhen: async ({ h }, runId) => (await blockState(h, runId)) === 'running',
    signal: 'SIGTERM',
  },
];

/**
 * Dispatcher processes (`node workers/dispatcher.ts`) stopped for real at different points of a
 * block run; a dispatcher started afterwards takes over (after the dead one's lock expires).
 * The real watcher decides outcomes and deletes finished Jobs, so a Job created a second time
 * would show up as a second uid.
 */
describe('dispatcher processes killed mid-flight', () => {
  // Processes start slowly on a busy machine: every case's world starts at once, up front, and
  // each test starts with its dispatcher process ready.
  const worlds = new Map<Scenario, Promise<World>>();

  beforeAll(async () => {
    for (const scenario of scenarios) {
      const starting = world(scenario.childEnv ?? {});
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
      if (scenario.createLatencyMs) proxy.setFaults({ rules: [{ verbs: ['create'], resources: ['jobs'], fault: 'latency', ms: scenario.createLatencyMs }] });
      const runId = await h.createRun(h.project([{ uuid: 'a', annotations: { 'sim.kubedispatch.io/duration': `${scenario.podDurationMs}ms` } }]));
      await waitFor(`${scenario.killPoint} (dispatcher log: ${first.output()})`, () => scenario.killWhen(current, runId), 30_000);
      expect(await first.stop(scenario.signal)).toBe(scenario.signal === 'SIGKILL' ? null : 0);
      await scenario.meanwhile?.(current, runId);
      await h.startDispatcher();
      await expectExactlyOnce(current, runId);
    });
  }
});
