/**
 * Benchmark of run retention (not a test: it prints figures). Run with `npm run bench:retention`.
 * Drives BENCH_RETENTION_RUNS (10,000) runs of five blocks each through the run store on a private
 * redis-server, each to success with its outcomes recorded, while the scheduler's retention pass
 * (`pruneFinishedRuns`) deletes runs finished more than BENCH_RETENTION_MS ago. The run store's
 * clock advances BENCH_MS_PER_RUN per run created, so the figures do not depend on the machine's
 * speed: about RETENTION / MS_PER_RUN runs are kept at any time. Prints Redis's key count and used
 * memory every 1,000 runs: with retention they stay flat instead of growing with the runs.
 */
import { Redis } from 'ioredis';
import { startLocalRedis } from '../src/redis/local-redis-server.ts';
import { pruneFinishedRuns } from '../src/runs/retention.ts';
import { RunStore, type NewRun } from '../src/runs/run-store.ts';
import { printTable, round } from './support/figures.ts';

const RUNS = Number(process.env['BENCH_RETENTION_RUNS'] ?? 10_000);
const RETENTION_MS = Number(process.env['BENCH_RETENTION_MS'] ?? 2_000);
const MS_PER_RUN = Number(process.env['BENCH_MS_PER_RUN'] ?? 10);
/** The retention pass runs every this many runs (the scheduler's `runs.pruneIntervalMs`, in runs). */
const PRUNE_EVERY_RUNS = 50;
const CONCURRENCY = 16;
const SAMPLE_EVERY = 1_000;
const PREFIX = 'kdbench';
const BLOCKS = ['extract', 'clean', 'join', 'train', 'load'];
const retry = { retries: 0, delaySeconds: 0, exponentialBackoff: false, maxDelaySeconds: 0 };

const newRun = (index: number): NewRun => ({
  pipelineUuid: 'bench',
  projectDir: '/bench',
  trigger: 'bench',
  executionDate: new Date(0).toISOString(),
  executionPartition: 'manual/19700101T000000_000000_{pipeline_run_id}',
  variables: { run: String(index) },
  blockRunLimit: 0,
  pipelineRunLimit: 0,
  // A chain, so the run advances block by block as a real one does.
  blocks: BLOCKS.map((blockUuid, i) => ({
    blockUuid,
    upstream: i === 0 ? [] : [BLOCKS[i - 1]!],
    maxAttempts: 1,
    retry,
  })),
  project: { note: 'x'.repeat(2_000) },
  idempotencyKey: `bench:${index}`,
});

/** Everything a dispatcher and the watcher write for one run, in the order they write it. */
async function driveRun(store: RunStore, index: number): Promise<void> {
  const id = await store.createRun(newRun(index));
  let next = await store.advanceRun(id);
  while (next.enqueue.length > 0) {
    for (const { blockUuid, blockRunId } of next.enqueue) {
      await store.markDispatching(id, blockUuid, 1);
      await store.markRunning(id, blockUuid, 1, `mage-bench-block-${blockRunId}`, 'default');
      const outcome = { succeeded: true, reason: 'Complete', message: 'Job completed', finishedAt: Date.now() };
      await store.recordOutcome({ blockRunId, attempt: 1 }, outcome);
      await store.applyAttemptResult(id, blockUuid, 1, 'succeeded', outcome);
    }
    next = await store.advanceRun(id);
  }
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0);
}

const server = await startLocalRedis();
const redis = new Redis(server.url);
try {
  let clock = Date.now();
  const store = new RunStore(redis, PREFIX, () => clock);
  let pruned = 0;

  const rows: Record<string, string | number>[] = [];
  const started = Date.now();
  let created = 0;
  const sample = async (runs: number): Promise<void> => {
    const row = {
      runs,
      seconds: round((Date.now() - started) / 1000, 1),
      redisKeys: await redis.dbsize(),
      usedMemoryMiB: round((await usedMemory(redis)) / 1024 / 1024, 2),
      runsIndexed: await redis.zcard(`${PREFIX}:runs:all`),
      prunedSoFar: pruned,
    };
    console.log(JSON.stringify(row));
    rows.push(row);
  };
  await sample(0);
  let nextIndex = 0;
  const workers = Array.from({ length: CONCURRENCY }, async () => {
    while (nextIndex < RUNS) {
      const index = nextIndex++;
      clock += MS_PER_RUN;
      await driveRun(store, index);
      // Taken before awaiting: other workers count on meanwhile.
      const count = ++created;
      if (count % PRUNE_EVERY_RUNS === 0)
        pruned += (await pruneFinishedRuns(store, { olderThanMs: RETENTION_MS, now: clock })).deleted;
      if (count % SAMPLE_EVERY === 0) await sample(count);
    }
  });
  await Promise.all(workers);

  printTable(rows);
  const later = rows.slice(Math.ceil(rows.length / 2));
  const early = rows.slice(1, Math.ceil(rows.length / 2));
  const peak = (list: typeof rows, key: string) => Math.max(...list.map((row) => Number(row[key])));
  console.log(
    `\n${RUNS} runs of ${BLOCKS.length} blocks, retention ${RETENTION_MS} ms: peak Redis keys ${peak(early, 'redisKeys')} (first half) vs ${peak(later, 'redisKeys')} (second half), ` +
      `peak used memory ${peak(early, 'usedMemoryMiB')} MiB vs ${peak(later, 'usedMemoryMiB')} MiB; ${pruned} runs deleted by retention ` +
      `(without retention Redis would hold about ${RUNS * (3 + 1 + BLOCKS.length)} run keys)`,
  );
} finally {
  redis.disconnect();
  await server.stop();
}
