/**
 * Benchmark of the dispatch flow on the simulated cluster (not a test: it prints figures).
 * Run with `npm run bench`. Prints one JSON object per scenario, then a table with the targets:
 *   - Jobs created per second, 1 and 2 dispatcher processes, 0 ms and 20 ms added API latency
 *   - enqueue → Job created, and pod finished → block run completed, p50/p99
 *   - API requests per block run for blocks that run 60 s, against Mage's executor loop
 *   - peak RSS of a watcher process tracking 10,000 active Jobs
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { BatchV1Api, CoreV1Api, Watch, type KubeConfig, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { startChaosProxy } from '../src/chaos/chaos-proxy.ts';
import { loadSettings } from '../src/config/settings.ts';
import { identityLabels } from '../src/render/identity.ts';
import { startLocalRedis } from '../src/redis/local-redis-server.ts';
import { RunStore } from '../src/runs/run-store.ts';
import { createPipelineRun } from '../src/runs/create-run.ts';
import { openRunContext, type RunContext } from '../src/runs/run-context.ts';
import { writeBenchProject } from './support/bench-project.ts';
import { distribution, printTable, round } from './support/figures.ts';
import { startRole, type RoleProcess } from './support/kubedispatch-processes.ts';
import { runLikeMage } from './support/mage-baseline.ts';
import { startSimProcess, type SimProcess } from './support/sim-process.ts';

const THROUGHPUT_BLOCKS = Number(process.env['BENCH_THROUGHPUT_BLOCKS'] ?? 2000);
const LATENCY_RUNS = Number(process.env['BENCH_LATENCY_RUNS'] ?? 200);
const MINUTE_RUNS = Number(process.env['BENCH_MINUTE_RUNS'] ?? 20);
const WATCHER_JOBS = Number(process.env['BENCH_WATCHER_JOBS'] ?? 10_000);
const LATENCY_BOUND_CREATE_CONCURRENCY = 2;
const MANAGED = 'app.kubernetes.io/managed-by=kubedispatch';
// A comma-separated subset of: throughput, latency, mage-latency, requests, memory.
const ONLY = new Set((process.env['BENCH_ONLY'] ?? '').split(',').filter(Boolean));
const selected = (name: string): boolean => ONLY.size === 0 || ONLY.has(name);

type Row = Record<string, string | number>;
const table: Row[] = [];
function report(result: Row & { scenario: string }): void {
  console.log(JSON.stringify(result));
  table.push(result);
}

const projectDir = writeBenchProject([
  { uuid: 'wide', blocks: THROUGHPUT_BLOCKS, duration: '3600s' },
  { uuid: 'single', blocks: 1, duration: '100ms' },
  { uuid: 'minute', blocks: 1, duration: '60s' },
]);

/** Settings env of one scenario: its own key prefix, limits out of the way unless measured. */
function scenarioEnv(
  redisUrl: string,
  kubeconfig: string,
  namespace: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    REDIS_URL: redisUrl,
    KUBECONFIG: kubeconfig,
    KUBE_NAMESPACE: namespace,
    KUBEDISPATCH_QUEUE_PREFIX: `bench-${randomUUID().slice(0, 8)}`,
    KUBEDISPATCH_PROJECT_DIR: projectDir,
    KUBEDISPATCH_API_QPS: '1000000',
    KUBEDISPATCH_API_BURST: '1000000',
    KUBEDISPATCH_MAX_ACTIVE_JOBS: '1000000',
    KUBEDISPATCH_DISPATCHER_CONCURRENCY: String(THROUGHPUT_BLOCKS + 100),
    KUBEDISPATCH_WATCHER_SWEEP_INTERVAL_MS: '5000',
    // Deleted at once rather than after the grace against late creates: the scenarios wait for the
    // clean-up, and the requests counted are the same (one delete per Job either way).
    KUBEDISPATCH_FINISHED_JOB_GRACE_MS: '0',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

async function withRunContext<T>(env: Record<string, string>, work: (context: RunContext) => Promise<T>): Promise<T> {
  const settings = loadSettings(env);
  const context = await openRunContext(settings, env, { projectDir });
  try {
    return await work(context);
  } finally {
    await context.close();
  }
}

async function createNamespace(kubeConfig: KubeConfig, name: string): Promise<void> {
  await kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
}

/** Calls `onEvent` for every Job or Pod event in `namespace` until the returned stop is called. */
async function watchNamespace<T>(
  kubeConfig: KubeConfig,
  path: string,
  onEvent: (type: string, object: T) => void,
): Promise<() => void> {
  const request = await new Watch(kubeConfig).watch(path, { labelSelector: MANAGED }, onEvent, () => undefined);
  return () => request.abort();
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function throughput(sim: SimProcess, redisUrl: string, dispatchers: number, latencyMs: number): Promise<number> {
  const namespace = `tp-${dispatchers}-${latencyMs}`;
  await createNamespace(sim.kubeConfig, namespace);
  // Added latency comes from the chaos proxy; without it the dispatchers talk to the simulation directly.
  const proxy =
    latencyMs > 0
      ? await startChaosProxy({
          targetKubeconfig: sim.kubeconfigPath,
          faults: { rules: [{ fault: 'latency', ms: latencyMs }] },
        })
      : undefined;
  // At 20 ms each dispatcher keeps few creates in flight, so that one is bound by the API's latency
  // rather than by this machine's two cores, which every process here shares: the scaling figure
  // then shows whether dispatchers share a bottleneck of their own (a lock, a Redis hot spot).
  const createConcurrency = latencyMs > 0 ? LATENCY_BOUND_CREATE_CONCURRENCY : 16;
  const env = scenarioEnv(redisUrl, proxy?.kubeconfigPath ?? sim.kubeconfigPath, namespace, {
    KUBEDISPATCH_CREATE_CONCURRENCY: String(createConcurrency),
  });
  const created: number[] = [];
  const stopWatch = await watchNamespace<V1Job>(
    sim.kubeConfig,
    `/apis/batch/v1/namespaces/${namespace}/jobs`,
    (type) => {
      if (type === 'ADDED') created.push(Date.now());
    },
  );
  const processes = Array.from({ length: dispatchers }, () => startRole('dispatcher', env));
  try {
    let enqueuedAt = 0;
    await withRunContext(env, async (context) => {
      // Every dispatcher must be taking work before the blocks arrive: the first one up would
      // otherwise take them all (each holds as many block runs as its concurrency allows).
      await waitFor(
        `${dispatchers} dispatchers connected`,
        async () => (await context.services.blockQueue.getWorkersCount()) >= dispatchers,
        60_000,
      );
      enqueuedAt = Date.now();
      await createPipelineRun(context.creator, { pipelineUuid: 'wide', trigger: 'bench', variables: {} });
    });
    await waitFor(`${THROUGHPUT_BLOCKS} Jobs`, () => created.length >= THROUGHPUT_BLOCKS, 300_000);
    const first = created[0] as number;
    const last = created[created.length - 1] as number;
    const jobsPerSecond = round((THROUGHPUT_BLOCKS - 1) / ((last - first) / 1000), 0);
    report({
      scenario: 'jobs created per second',
      dispatchers,
      addedLatencyMs: latencyMs,
      createConcurrency,
      jobs: THROUGHPUT_BLOCKS,
      jobsPerSecond,
      firstJobAfterMs: first - enqueuedAt,
    });
    return jobsPerSecond;
  } finally {
    stopWatch();
    await Promise.all(processes.map((child) => child.stop()));
    await proxy?.stop();
  }
}

async function latencies(sim: SimProcess, redisUrl: string): Promise<void> {
  const namespace = 'latency';
  await createNamespace(sim.kubeConfig, namespace);
  const env = scenarioEnv(redisUrl, sim.kubeconfigPath, namespace, {
    KUBEDISPATCH_API_QPS: '20',
    KUBEDISPATCH_API_BURST: '30',
  });
  const jobCreatedAt = new Map<string, number>();
  const podFinishedAt = new Map<string, number>();
  const runLabel = 'kubedispatch.io/pipeline-run-id';
  const stops = [
    await watchNamespace<V1Job>(sim.kubeConfig, `/apis/batch/v1/namespaces/${namespace}/jobs`, (type, job) => {
      const run = job.metadata?.labels?.[runLabel];
      if (type === 'ADDED' && run) jobCreatedAt.set(run, Date.now());
    }),
    await watchNamespace<V1Pod>(sim.kubeConfig, `/api/v1/namespaces/${namespace}/pods`, (_type, pod) => {
      const run = pod.metadata?.labels?.[runLabel];
      if (run && pod.status?.phase === 'Succeeded' && !podFinishedAt.has(run)) podFinishedAt.set(run, Date.now());
    }),
  ];
  const processes: RoleProcess[] = [startRole('dispatcher', env), startRole('watcher', env)];
  try {
    await withRunContext(env, async (context) => {
      const store = context.services.store;
      const runOnce = () =>
        createPipelineRun(context.creator, { pipelineUuid: 'single', trigger: 'bench', variables: {} });
      const finished = async (ids: number[]) =>
        (await Promise.all(ids.map((id) => store.getRunRecord(id)))).every((run) => run?.state === 'succeeded');
      // Warm up: processes started, scripts loaded, watches established.
      const warmup = await Promise.all(Array.from({ length: 5 }, runOnce));
      await waitFor('warm-up runs', () => finished(warmup), 60_000);

      const enqueuedAt = new Map<number, number>();
      for (let index = 0; index < LATENCY_RUNS; index++) {
        const started = Date.now();
        const id = await runOnce();
        enqueuedAt.set(id, started);
        // Paced at 10 runs/s, well below capacity: these are latencies, not queueing.
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, 100 - (Date.now() - started))));
      }
      const ids = [...enqueuedAt.keys()];
      await waitFor('paced runs', () => finished(ids), 120_000);
      const toCreated: number[] = [];
      const toCompleted: number[] = [];
      for (const id of ids) {
        const created = jobCreatedAt.get(String(id));
        const podDone = podFinishedAt.get(String(id));
        const block = (await store.getRun(id))?.blocks[0];
        if (created !== undefined) toCreated.push(created - (enqueuedAt.get(id) as number));
        if (podDone !== undefined && block?.finishedAt) toCompleted.push(block.finishedAt - podDone);
      }
      report({ scenario: 'enqueue → Job created', ...distribution(toCreated) });
      report({ scenario: 'pod finished → block run completed', ...distribution(toCompleted), target: 'p99 ≤ 100 ms' });
    });
  } finally {
    for (const stop of stops) stop();
    await Promise.all(processes.map((child) => child.stop()));
  }
}

function baselineJob(name: string, duration: string): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'mage-baseline' } },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { annotations: { 'sim.kubedispatch.io/duration': duration } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'mage-job-container', image: 'busybox:1.36' }] },
      },
    },
  };
}

/** Blocks that run 60 s: kubedispatch and Mage's loop side by side, API requests per block run. */
async function requestsPerBlockRun(sim: SimProcess, redisUrl: string): Promise<void> {
  const namespace = 'minute';
  await createNamespace(sim.kubeConfig, namespace);
  const env = scenarioEnv(redisUrl, sim.kubeconfigPath, namespace);
  const processes: RoleProcess[] = [startRole('dispatcher', env), startRole('watcher', env)];
  const batch = sim.kubeConfig.makeApiClient(BatchV1Api);
  try {
    const before = (await sim.usage()).requests;
    const [ours, baseline] = await Promise.all([
      withRunContext(env, async (context) => {
        const ids = await Promise.all(
          Array.from({ length: MINUTE_RUNS }, () =>
            createPipelineRun(context.creator, { pipelineUuid: 'minute', trigger: 'bench', variables: {} }),
          ),
        );
        await waitFor(
          '60 s runs',
          async () =>
            (await Promise.all(ids.map((id) => context.services.store.getRunRecord(id)))).every(
              (run) => run?.state === 'succeeded',
            ),
          180_000,
        );
        return ids.length;
      }),
      Promise.all(
        Array.from({ length: MINUTE_RUNS }, (_, index) =>
          runLikeMage(batch, namespace, baselineJob(`mage-baseline-${index}`, '60s')),
        ),
      ),
    ]);
    // Let the watcher's clean-up deletes land before reading the counters.
    await waitFor(
      'Jobs cleaned up',
      async () => (await batch.listNamespacedJob({ namespace })).items.length === 0,
      30_000,
    );
    const after = (await sim.usage()).requests;
    const baselineRequests = baseline.reduce((sum, result) => sum + result.requests, 0);
    // Everything the sim served in this window, minus Mage's loop and the clean-up check above.
    const ourRequests = after.total - before.total - baselineRequests - 1;
    const perRun = round(ourRequests / ours);
    const mage = round(baselineRequests / MINUTE_RUNS);
    const byKind = Object.fromEntries(
      Object.entries(after.byVerbResource).map(([key, count]) => [key, count - (before.byVerbResource[key] ?? 0)]),
    );
    report({
      scenario: 'API requests per block run (60 s blocks)',
      blockRuns: ours,
      kubedispatch: perRun,
      mageExecutor: mage,
      ratio: round(mage / perRun, 1),
      target: '≤ 3',
      servedByKind: JSON.stringify(byKind),
    });
  } finally {
    await Promise.all(processes.map((child) => child.stop()));
  }
}

/** Mage's loop notices a finished Job on its next 5 s poll: the completion latency to compare with. */
async function mageCompletionLatency(sim: SimProcess): Promise<void> {
  const namespace = 'mage-latency';
  await createNamespace(sim.kubeConfig, namespace);
  const batch = sim.kubeConfig.makeApiClient(BatchV1Api);
  const podFinishedAt = new Map<string, number>();
  const stop = await new Watch(sim.kubeConfig).watch(
    `/api/v1/namespaces/${namespace}/pods`,
    {},
    (_type: string, pod: V1Pod) => {
      const job = pod.metadata?.labels?.['job-name'];
      if (job && pod.status?.phase === 'Succeeded' && !podFinishedAt.has(job)) podFinishedAt.set(job, Date.now());
    },
    () => undefined,
  );
  try {
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, index) => {
        // Staggered starts, as real block runs are not aligned with the poll.
        await new Promise((resolve) => setTimeout(resolve, index * 97));
        const name = `mage-latency-${index}`;
        return { name, result: await runLikeMage(batch, namespace, baselineJob(name, '100ms')) };
      }),
    );
    const samples = results.flatMap(({ name, result }) =>
      podFinishedAt.has(name) ? [result.doneAt - (podFinishedAt.get(name) as number)] : [],
    );
    report({ scenario: "pod finished → block run completed (Mage's 5 s poll)", ...distribution(samples) });
  } finally {
    stop.abort();
  }
}

async function watcherMemory(sim: SimProcess, redisUrl: string): Promise<void> {
  const namespace = 'watcher-memory';
  await createNamespace(sim.kubeConfig, namespace);
  const env = scenarioEnv(redisUrl, sim.kubeconfigPath, namespace);
  const queuePrefix = env['KUBEDISPATCH_QUEUE_PREFIX'] as string;
  // The Jobs belong to a live run of this life of Redis, as a dispatcher's do: otherwise the
  // watcher would take all of them for orphans and measure its orphan reports instead.
  const redis = new Redis(redisUrl);
  const store = new RunStore(redis, queuePrefix);
  const epoch = await store.epoch();
  const retry = { retries: 0, delaySeconds: 0, exponentialBackoff: false, maxDelaySeconds: 0 };
  const runId = await store.createRun({
    pipelineUuid: 'bench',
    projectDir: projectDir,
    trigger: '',
    variables: {},
    executionDate: new Date().toISOString(),
    executionPartition: 'manual/bench_{pipeline_run_id}',
    blockRunLimit: 0,
    pipelineRunLimit: 0,
    blocks: [{ blockUuid: 'b', upstream: [], maxAttempts: 1, retry }],
    project: {},
  });
  const watcher = startRole('watcher', env);
  const batch = sim.kubeConfig.makeApiClient(BatchV1Api);
  try {
    const baselineMB = await settledPeak(watcher);
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < WATCHER_JOBS) {
          const index = next++;
          const job = baselineJob(`tracked-${index}`, '3600s');
          job.metadata!.labels = identityLabels(queuePrefix, 'bench', `b${index}`, {
            pipelineRunId: runId,
            blockRunId: index + 1,
            attempt: 1,
            epoch,
          });
          job.spec!.template.metadata!.labels = { ...job.metadata!.labels };
          await batch.createNamespacedJob({ namespace, body: job });
        }
      }),
    );
    const peakMB = await settledPeak(watcher);
    const usage = await sim.usage();
    report({
      scenario: 'watcher peak RSS tracking active Jobs',
      jobs: WATCHER_JOBS,
      pods: WATCHER_JOBS,
      idleMB: baselineMB,
      peakMB,
      target: '≤ 200 MB',
      simRssMB: usage.rssMB,
    });
  } finally {
    await watcher.stop();
    redis.disconnect();
  }
}

/** The peak RSS once it has stopped growing for 3 s (the watcher has caught up with the cluster). */
async function settledPeak(child: RoleProcess): Promise<number> {
  let peak = child.peakRssMB();
  let stableSince = Date.now();
  while (Date.now() - stableSince < 3000) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = child.peakRssMB();
    if (now !== peak) {
      peak = now;
      stableSince = Date.now();
    }
  }
  return peak;
}

const redis = process.env['REDIS_URL'] ? undefined : await startLocalRedis();
const redisUrl = process.env['REDIS_URL'] ?? (redis?.url as string);
const sim = await startSimProcess();
try {
  if (selected('throughput')) {
    const one0 = await throughput(sim, redisUrl, 1, 0);
    const two0 = await throughput(sim, redisUrl, 2, 0);
    const one20 = await throughput(sim, redisUrl, 1, 20);
    const two20 = await throughput(sim, redisUrl, 2, 20);
    report({
      scenario: 'scaling: 2 dispatchers / 1',
      at0ms: round(two0 / one0),
      at20ms: round(two20 / one20),
      target: '≥ 1.7 when latency-bound (20 ms)',
    });
  }
  if (selected('latency')) await latencies(sim, redisUrl);
  if (selected('mage-latency')) await mageCompletionLatency(sim);
  if (selected('requests')) await requestsPerBlockRun(sim, redisUrl);
  if (selected('memory')) await watcherMemory(sim, redisUrl);
} finally {
  await sim.stop();
  await redis?.stop();
}
console.log('');
printTable(table.map(({ servedByKind: _omitted, ...row }) => row));
console.log(
  'targets: ≥ 500 Jobs/s at 0 ms; 2 dispatchers ≥ 1.7× one at 20 ms; completion p99 ≤ 100 ms; ≤ 3 API requests per block run; watcher ≤ 200 MB at 10,000 Jobs',
);
