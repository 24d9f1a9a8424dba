/**
 * Every process against a Redis that is not there: the real worker entry points (workers/*.ts) as
 * child processes, so exit codes, log lines and signal handling are what a deployment sees.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startLocalRedis, type LocalRedis } from '../../src/redis/local-redis-server.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/sim-cluster.ts';
import { eventually } from '../watch/support/eventually.ts';
import { spawnWorker, type ChildWorker, type WorkerName } from '../support/worker-process.ts';

const PROJECT = fileURLToPath(new URL('../../examples/project', import.meta.url));
const OUTAGE = 'Redis unreachable; retrying until it answers (logged once per outage)';
const BACK = 'Redis answers again';

/** A fresh Node process loading the Kubernetes client takes seconds on a busy machine. */
const START_MS = 45_000;

interface LogLine {
  level: number;
  name: string;
  msg: string;
  [field: string]: unknown;
}

const logLines = (worker: ChildWorker): LogLine[] =>
  worker
    .output()
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as LogLine);
const count = (worker: ChildWorker, msg: string): number => logLines(worker).filter((line) => line.msg === msg).length;

describe('processes and an unreachable Redis', () => {
  let sim: SimCluster;
  const workers: ChildWorker[] = [];
  const servers: LocalRedis[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    sim = await startSimCluster();
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop('SIGKILL')));
    await Promise.all(servers.splice(0).map((server) => server.stop()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await sim.stop();
  });

  function spawn(name: WorkerName, redisUrl: string): ChildWorker {
    const worker = spawnWorker(name, {
      REDIS_URL: redisUrl,
      KUBECONFIG: sim.kubeconfigPath,
      KUBEDISPATCH_PROJECT_DIR: PROJECT,
      KUBEDISPATCH_HTTP_PORT: '0',
      KUBEDISPATCH_WATCHER_LEASE_TTL_MS: '1200',
      LOG_LEVEL: 'info',
    });
    workers.push(worker);
    return worker;
  }

  it(
    'at start, each worker exits 1 with one fatal line naming the URL without its password and how to fix it',
    async () => {
      const port = await freePort();
      const names: WorkerName[] = ['scheduler', 'dispatcher', 'watcher', 'dashboard'];
      const started = names.map((name) => spawn(name, `redis://:hunter2@127.0.0.1:${port}`));
      const codes = await Promise.all(started.map((worker) => worker.exited));
      expect(codes).toEqual([1, 1, 1, 1]);
      for (const [index, worker] of started.entries()) {
        expect(logLines(worker)).toEqual([
          expect.objectContaining({
            level: 60,
            name: names[index],
            redis: `redis://***@127.0.0.1:${port}`,
            msg: expect.stringMatching(
              new RegExp(
                `^cannot reach Redis at redis://\\*\\*\\*@127\\.0\\.0\\.1:${port} \\(connect ECONNREFUSED [^)]+\\); start Redis there, or set REDIS_URL \\(redis\\.url\\) to a server that answers`,
              ),
            ) as unknown,
          }),
        ]);
        expect(worker.output()).not.toContain('hunter2');
      }
    },
    START_MS,
  );

  it.each(['watcher', 'dispatcher', 'scheduler'] as const)(
    'a running %s logs each outage once, carries on when Redis is back, and stops cleanly on SIGTERM while it is down',
    async (name) => {
      // With an append-only file, as in production: a Redis that came back empty would be a loss of
      // data, after which processes exit (test/processes/redis-data-loss.test.ts), not an outage.
      const persistentDir = mkdtempSync(join(tmpdir(), 'kubedispatch-outage-'));
      dirs.push(persistentDir);
      const first = await startLocalRedis({ persistentDir });
      servers.push(first);
      const worker = spawn(name, first.url);
      const startedMsg = {
        watcher: 'watcher lease acquired: acting',
        dispatcher: 'dispatcher started',
        scheduler: 'scheduler started',
      }[name];
      await eventually(`the ${name} started`, () => (count(worker, startedMsg) > 0 ? true : undefined), START_MS);

      await first.stop();
      await eventually('the outage logged', () => (count(worker, OUTAGE) > 0 ? true : undefined));
      const second = await startLocalRedis({ port: Number(new URL(first.url).port), persistentDir });
      servers.push(second);
      await eventually('the end of the outage logged', () => (count(worker, BACK) > 0 ? true : undefined));
      // ioredis retried many times in between; each outage is still one line.
      expect(count(worker, OUTAGE)).toBe(1);

      await second.stop();
      await eventually('the second outage logged', () => (count(worker, OUTAGE) > 1 ? true : undefined));
      // Exit code 0: a clean stop, not the stop deadline (exit 1).
      expect(await worker.stop('SIGTERM'), worker.output()).toBe(0);
      expect(count(worker, OUTAGE)).toBe(2);
    },
    START_MS + 30_000,
  );
});
