/**
 * Redis loses its data mid-run (FLUSHALL on a private redis-server, as a restart without
 * persistence leaves it), with the real dispatcher and watcher as child processes. The defect this
 * guards against: the old watcher wrote the old Jobs' outcomes into the fresh Redis, the counters
 * restarted at 1 and later runs' blocks were "decided" by those outcomes within milliseconds.
 */
import type { Queue } from 'bullmq';
import { CoreV1Api } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBlockRunQueue, type BlockRunJobData } from '../../src/runs/block-run-queue.ts';
import { startLocalRedis, type LocalRedis } from '../../src/redis/local-redis-server.ts';
import { loadRenderContext } from '../../src/render/context.ts';
import { EPOCH_LOST_EXIT_CODE, EpochLostError } from '../../src/runs/epoch.ts';
import { RunStore } from '../../src/runs/run-store.ts';
import { TERMINAL_RUN_STATES, type RunWithBlocks } from '../../src/runs/types.ts';
import { createPipelineRun } from '../../src/runs/create-run.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/sim-cluster.ts';
import { writeProject, type TestProject } from '../dispatch/support/project.ts';
import { SimJobs } from '../dispatch/support/sim-jobs.ts';
import { spawnWorker, type ChildWorker, type WorkerName } from '../support/worker-process.ts';
import { eventually } from '../watch/support/eventually.ts';

const PREFIX = 'kdloss';
/** A fresh Node process loading the Kubernetes client takes seconds on a busy machine. */
const START_MS = 45_000;
const ORPHAN_GRACE_MS = 4_000;

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** The process's JSON log lines (a line still being written is left out). */
const logLines = (worker: ChildWorker): LogLine[] =>
  worker
    .output()
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });

describe('Redis loses its data while runs are in flight', () => {
  let sim: SimCluster;
  let server: LocalRedis;
  let redis: Redis;
  let queue: Queue<BlockRunJobData>;
  let project: TestProject;
  let jobs: SimJobs;
  const workers: ChildWorker[] = [];

  beforeAll(async () => {
    sim = await startSimCluster({ podFailureBackoffMs: 10 });
    server = await startLocalRedis();
    redis = new Redis(server.url);
    queue = createBlockRunQueue(redis, PREFIX);
    // b waits for a; a runs long enough for a run to be in flight when Redis loses its data.
    project = writeProject([
      { uuid: 'a', annotations: { 'sim.kubedispatch.io/duration': '2s' } },
      { uuid: 'b', upstream: ['a'] },
    ]);
    jobs = new SimJobs(sim.kubeConfig);
    await jobs.recordCreations();
  }, START_MS);

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop('SIGKILL')));
    jobs.stop();
    await queue.close();
    redis.disconnect();
    await server.stop();
    await sim.stop();
    project.remove();
  });

  function spawn(name: WorkerName): ChildWorker {
    const worker = spawnWorker(name, {
      REDIS_URL: server.url,
      KUBECONFIG: sim.kubeconfigPath,
      KUBEDISPATCH_QUEUE_PREFIX: PREFIX,
      LOG_LEVEL: 'info',
      // Old Jobs stay in the cluster after they finished: exactly what fed the false successes.
      KUBEDISPATCH_DELETE_FINISHED_JOBS: 'false',
      KUBEDISPATCH_EPOCH_CHECK_INTERVAL_MS: '300',
      KUBEDISPATCH_ORPHAN_GRACE_MS: String(ORPHAN_GRACE_MS),
      KUBEDISPATCH_OUTCOME_POLL_MS: '250',
      KUBEDISPATCH_WATCHER_SWEEP_INTERVAL_MS: '250',
      KUBEDISPATCH_WATCHER_LEASE_TTL_MS: '1200',
      KUBEDISPATCH_DISPATCHER_LOCK_DURATION_MS: '1000',
      KUBEDISPATCH_DISPATCHER_STALLED_INTERVAL_MS: '500',
      KUBEDISPATCH_API_QPS: '1000',
      KUBEDISPATCH_API_BURST: '1000',
    });
    workers.push(worker);
    return worker;
  }

  const createRun = (store: RunStore): Promise<number> =>
    createPipelineRun(
      {
        store,
        blockQueue: queue,
        plan: { projectDir: project.dir, render: loadRenderContext({}, { queuePrefix: PREFIX }) },
      },
      { pipelineUuid: 'pipeline', trigger: '', variables: {} },
    );

  const finished = (store: RunStore, runId: number, timeoutMs = 30_000): Promise<RunWithBlocks> =>
    eventually(
      `run ${runId} to finish`,
      async () => {
        const run = await store.getRun(runId);
        return run && TERMINAL_RUN_STATES.has(run.state) ? run : undefined;
      },
      timeoutMs,
      50,
    );

  const started = (worker: ChildWorker, msg: string): Promise<true> =>
    eventually(
      `${msg}: ${worker.output().slice(-2000)}`,
      () => (logLines(worker).some((line) => line.msg === msg) ? true : undefined),
      START_MS,
      100,
    );

  it('no outcome of the old life decides a block run of the new one; processes exit 3 and report; orphaned Jobs are reported once and deleted after the grace', async () => {
    // Life 1.
    let dispatcher = spawn('dispatcher');
    let watcher = spawn('watcher');
    await Promise.all([started(dispatcher, 'dispatcher started'), started(watcher, 'watcher started')]);
    for (const worker of [dispatcher, watcher]) {
      // The private redis-server keeps nothing on disk: every process says so, and what it risks.
      expect(
        logLines(worker).filter((line) => line.level === 40 && /keeps nothing on disk/.test(line.msg)),
      ).toHaveLength(1);
    }
    const oldStore = new RunStore(redis, PREFIX);
    const oldEpoch = await oldStore.epoch();
    const done = await finished(oldStore, await createRun(oldStore));
    expect(done.state).toBe('succeeded');
    const inFlight = await createRun(oldStore);
    await eventually(
      'the in-flight run to have a running block',
      async () => ((await oldStore.getBlock(inFlight, 'a'))?.state === 'running' ? true : undefined),
      15_000,
      50,
    );
    const oldJobs = await jobs.jobs();
    expect(oldJobs.map((job) => job.metadata?.labels?.['kubedispatch.io/epoch'])).toEqual(oldJobs.map(() => oldEpoch));
    const oldIds = [...done.blocks, ...(await oldStore.getRun(inFlight))!.blocks].map((block) => block.blockRunId);

    // Redis loses everything.
    await redis.flushall();

    // Both processes see the epoch gone, say so, and exit for their supervisor to restart them.
    expect(await dispatcher.exited).toBe(EPOCH_LOST_EXIT_CODE);
    expect(await watcher.exited).toBe(EPOCH_LOST_EXIT_CODE);
    for (const worker of [dispatcher, watcher]) {
      expect(
        logLines(worker).some(
          (line) => line.level === 50 && /^Redis lost its data while this process ran/.test(line.msg),
        ),
      ).toBe(true);
    }
    // The in-flight Job finishes meanwhile; nothing of the old life is written into the new one.
    await eventually(
      'the in-flight Job to finish',
      async () => {
        const all = await jobs.jobs();
        return all.every((job) => job.status?.conditions?.some((condition) => condition.status === 'True'))
          ? true
          : undefined;
      },
      15_000,
      100,
    );
    expect(await redis.keys(`${PREFIX}:outcome:*`)).toEqual([]);
    // A store of the old life cannot write into the new one either.
    await expect(createRun(oldStore)).rejects.toBeInstanceOf(EpochLostError);

    // Life 2: the supervisor restarts them.
    dispatcher = spawn('dispatcher');
    watcher = spawn('watcher');
    await Promise.all([started(dispatcher, 'dispatcher started'), started(watcher, 'watcher started')]);
    const store = new RunStore(redis, PREFIX);
    const epoch = await store.epoch();
    expect(epoch).not.toBe(oldEpoch);

    // New runs get ids no earlier life handed out, create their own Jobs and are decided by them.
    const fresh = await finished(store, await createRun(store));
    expect(fresh.state).toBe('succeeded');
    for (const block of fresh.blocks) {
      expect(Math.min(...oldIds)).toBeLessThan(block.blockRunId);
      expect(oldIds).not.toContain(block.blockRunId);
      expect(jobs.seenUids().get(`${block.blockRunId}:1`)?.size).toBe(1);
      expect(block.attempts[0]?.outcome?.epoch).toBe(epoch);
    }

    // Even when a new run is forced onto the ids of an old run whose Jobs are still there, the old
    // Jobs decide nothing: it is never adopted (JobNameCollision) or, once the watcher deleted the
    // orphan, the run makes its own Job.
    await redis.set(`${PREFIX}:seq:pipeline-run`, done.id - 1);
    await redis.set(`${PREFIX}:seq:block-run`, done.blocks[0]!.blockRunId - 1);
    const forcedId = await createRun(store);
    expect(forcedId).toBe(done.id);
    const forced = await finished(store, forcedId);
    const first = forced.blocks[0]!;
    if (first.state === 'failed') {
      expect(first.reason).toBe('JobNameCollision');
      expect(first.message).toContain(`epoch ${oldEpoch}`);
    } else {
      expect(first.state).toBe('succeeded');
      expect(jobs.seenUids().get(`${first.blockRunId}:1`)?.size).toBe(2);
    }
    // Outcomes come from the watcher of this epoch, or from the dispatcher itself (no epoch: JobNameCollision).
    for (const block of forced.blocks)
      expect(block.attempts.map((attempt) => attempt.outcome?.epoch ?? epoch)).toEqual(block.attempts.map(() => epoch));

    // The watcher reports every old Job once (log, metric, Event) with the lost run, then deletes it after the grace.
    const oldNames = oldJobs.map((job) => job.metadata!.name!);
    const reports = () => logLines(watcher).filter((line) => line.msg.startsWith('orphaned Job:'));
    await eventually(
      'every old Job reported',
      () => (oldNames.every((name) => reports().some((line) => line['job'] === `default/${name}`)) ? true : undefined),
      15_000,
      100,
    );
    const lost = logLines(watcher).filter((line) => Array.isArray(line['lostRunIds']));
    expect(lost.flatMap((line) => line['lostRunIds'] as number[]).sort()).toEqual([done.id, inFlight].sort());
    const core = sim.kubeConfig.makeApiClient(CoreV1Api);
    for (const name of oldNames) {
      const events = await core.listNamespacedEvent({
        namespace: 'default',
        fieldSelector: `involvedObject.name=${name}`,
      });
      expect(events.items.filter((event) => event.reason === 'OrphanedJob')).toHaveLength(1);
    }
    const oldUids = oldJobs.map((job) => job.metadata!.uid!);
    await eventually(
      'old Jobs deleted after the grace',
      async () => {
        const uids = (await jobs.jobs()).map((job) => job.metadata?.uid);
        return oldUids.every((uid) => !uids.includes(uid)) ? true : undefined;
      },
      ORPHAN_GRACE_MS + 15_000,
      200,
    );
    for (const name of oldNames) expect(reports().filter((line) => line['job'] === `default/${name}`)).toHaveLength(1);
    // The line is written once the API answered the deletion, which the list above may see first.
    await eventually(
      'every deletion logged',
      () =>
        logLines(watcher).filter((line) => /orphaned Job deleted after the grace/.test(line.msg)).length >=
        oldNames.length
          ? true
          : undefined,
      10_000,
      100,
    );
  }, 180_000);
});
