/**
 * The metrics listener (`metrics.port`) of every process, over real HTTP, with the real worker
 * entry points (workers/*.ts) as child processes.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startLocalRedis, type LocalRedis } from '../../src/redis/local-redis-server.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/sim-cluster.ts';
import { testRedis, type TestRedis } from '../support/redis.ts';
import { spawnWorker, type ChildWorker, type WorkerName } from '../support/worker-process.ts';
import { eventually } from '../support/eventually.ts';
import { START_MS } from './support.ts';

const PROJECT = fileURLToPath(new URL('../../examples/project', import.meta.url));
const TOKEN = 'metrics-test-token-0123456789abcdef';

describe('the metrics listener of every process', () => {
  let sim: SimCluster;
  let redis: TestRedis;
  let dir: string;
  const workers: ChildWorker[] = [];
  const servers: LocalRedis[] = [];

  beforeAll(async () => {
    sim = await startSimCluster();
    redis = testRedis();
    dir = mkdtempSync(join(tmpdir(), 'kd-metrics-'));
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop('SIGKILL')));
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });
  afterAll(async () => {
    await redis.cleanup();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function spawn(
    name: WorkerName,
    env: Record<string, string> = {},
  ): Promise<{ worker: ChildWorker; base: string }> {
    const port = await freePort();
    const worker = spawnWorker(name, {
      REDIS_URL: redis.url,
      KUBEDISPATCH_QUEUE_PREFIX: redis.prefix,
      KUBECONFIG: sim.kubeconfigPath,
      KUBEDISPATCH_PROJECT_DIR: PROJECT,
      KUBEDISPATCH_HTTP_PORT: '0',
      KUBEDISPATCH_METRICS_PORT: String(port),
      KUBEDISPATCH_AUTH_TOKEN: TOKEN,
      LOG_LEVEL: 'info',
      ...env,
    });
    workers.push(worker);
    return { worker, base: `http://127.0.0.1:${port}` };
  }

  const readyz = async (base: string): Promise<{ status: number; body: { status: string; message?: string } }> => {
    const response = await fetch(`${base}/readyz`);
    return { status: response.status, body: (await response.json()) as { status: string; message?: string } };
  };

  /** A metric only this kind of process has, to show the listener serves the process's own registry. */
  const OWN_METRIC: Record<WorkerName, string> = {
    scheduler: 'nodejs_eventloop_lag_seconds',
    dispatcher: 'kubedispatch_dispatcher_jobs_created_total',
    watcher: 'kubedispatch_watcher_lease_holder',
    dashboard: 'kubedispatch_queue_jobs{queue="block-runs",state="waiting"}',
  };

  it.each(['scheduler', 'dispatcher', 'watcher', 'dashboard'] as const)(
    '%s: /healthz and /readyz open, /metrics with the auth token',
    async (name) => {
      const { worker, base } = await spawn(name);
      await eventually(
        `the ${name} ready`,
        async () => ((await readyz(base)).status === 200 ? true : undefined),
        START_MS,
      );
      expect((await readyz(base)).body).toEqual({ status: 'ready' });
      const health = await fetch(`${base}/healthz`);
      expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);

      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(metrics.status).toBe(200);
      const text = await metrics.text();
      expect(text).toContain('process_cpu_user_seconds_total');
      expect(text).toContain(OWN_METRIC[name]);
      // Only the probes and the metrics: the HTTP API stays on http.port.
      expect((await fetch(`${base}/api/v1/runs`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);

      expect(await worker.stop('SIGTERM'), worker.output()).toBe(0);
    },
    START_MS + 15_000,
  );

  it(
    'a watcher is not ready until its watches have listed every namespace',
    async () => {
      const unreachableApi = join(dir, 'unreachable.kubeconfig');
      writeFileSync(
        unreachableApi,
        [
          'apiVersion: v1',
          'kind: Config',
          `clusters: [{ name: gone, cluster: { server: "http://127.0.0.1:${await freePort()}" } }]`,
          'users: [{ name: nobody, user: {} }]',
          'contexts: [{ name: gone, context: { cluster: gone, user: nobody } }]',
          'current-context: gone',
        ].join('\n'),
      );
      const { base } = await spawn('watcher', { KUBECONFIG: unreachableApi });
      // Past start-up (`watcher is starting`), the watches are what it waits for.
      const notReady = await eventually(
        'the watcher started',
        async () => {
          const answer = await readyz(base);
          return answer.body.message === 'watcher is starting' ? undefined : answer;
        },
        START_MS,
      );
      expect(notReady).toEqual({
        status: 503,
        body: { status: 'unavailable', message: 'the watches have not listed every watched namespace yet' },
      });
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    },
    START_MS + 15_000,
  );

  it(
    'a dispatcher is not ready while Redis is down, and is alive all along',
    async () => {
      const own = await startLocalRedis();
      servers.push(own);
      const { worker, base } = await spawn('dispatcher', { REDIS_URL: own.url });
      await eventually(
        'the dispatcher ready',
        async () => ((await readyz(base)).status === 200 ? true : undefined),
        START_MS,
      );
      await own.stop();
      await eventually('readiness lost', async () => ((await readyz(base)).status === 503 ? true : undefined));
      expect((await readyz(base)).body).toEqual({
        status: 'unavailable',
        message: 'Redis did not answer within 2000 ms',
      });
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect(await worker.stop('SIGTERM'), worker.output()).toBe(0);
    },
    START_MS + 30_000,
  );

  it(
    'a port already in use stops the process at start with the settings to change',
    async () => {
      const taken = createServer().listen(0, '127.0.0.1');
      await once(taken, 'listening');
      try {
        const { port } = taken.address() as { port: number };
        const { worker } = await spawn('dispatcher', { KUBEDISPATCH_METRICS_PORT: String(port) });
        expect(await worker.exited).toBe(1);
        expect(worker.output()).toContain(`cannot listen on 127.0.0.1:${port} (listen EADDRINUSE`);
        expect(worker.output()).toContain(
          'change metrics.host / metrics.port (KUBEDISPATCH_METRICS_HOST / KUBEDISPATCH_METRICS_PORT)',
        );
        expect(worker.output()).not.toContain('dispatcher started');
      } finally {
        taken.close();
      }
    },
    START_MS,
  );
});
