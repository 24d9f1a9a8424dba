/**
 * Soak (not a test, not in `npm test`): `npm run soak [-- --seed N --blocks N --max-minutes M]`.
 * Drives block runs (default 20 runs × 50 blocks, each a DAG) through one scheduler, three
 * dispatchers and two watchers, all real processes, on the simulated cluster behind the chaos
 * proxy (20 % 5xx/429, watches cut, forced 410s), while it SIGKILLs a dispatcher every 2 s,
 * SIGKILLs the acting watcher several times and SIGKILLs Redis (AOF) once mid-run. A recording
 * proxy between the chaos proxy and the cluster counts every Job created and deleted, so the
 * verdict does not rest on kubedispatch's own records. Prints progress as JSON lines, then a table
 * of figures; exits 1 when any invariant fails. See bench/README.md ("Soak").
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import type { RunRecord, RunWithBlocks } from '../src/runs/types.ts';
import { freePort } from '../src/redis/local-redis-server.ts';
import { leaseKey } from '../src/watch/watcher.ts';
import { printTable } from './support/figures.ts';
import { Children, type Child } from './soak/children.ts';
import {
  AofRedis,
  holdsLease,
  isReady,
  spawnDispatcher,
  spawnWatcher,
  startChaos,
  startScheduler,
  startSim,
  waitUntil,
} from './soak/cluster-of-processes.ts';
import { JobLedger } from './soak/job-ledger.ts';
import { makePlan, type RunPlan } from './soak/plan.ts';
import { startRecordingProxy, type RecordingProxy } from './soak/recording-proxy.ts';
import { writeSoakProject } from './soak/soak-project.ts';
import { judge, type SoakRun } from './soak/verdict.ts';

const { values: flags } = parseArgs({
  options: {
    seed: { type: 'string' },
    blocks: { type: 'string', default: '1000' },
    runs: { type: 'string' },
    'max-minutes': { type: 'string', default: '10' },
    'dispatcher-kill-ms': { type: 'string', default: '2000' },
    'watcher-kills': { type: 'string', default: '5' },
    'keep-dir': { type: 'boolean', default: false },
  },
});

function integerFlag(name: keyof typeof flags, min: number): number {
  const raw = flags[name];
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    console.error(`error: --${name}: expected an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}

const seed = flags.seed === undefined ? 1 + Math.floor(Math.random() * 2 ** 31) : integerFlag('seed', 0);
const blocks = integerFlag('blocks', 1);
const runs = flags.runs === undefined ? Math.max(1, Math.round(blocks / 50)) : integerFlag('runs', 1);
const maxMinutes = Number(flags['max-minutes']);
if (!(maxMinutes > 0)) {
  console.error(`error: --max-minutes: expected a number > 0, got ${JSON.stringify(flags['max-minutes'])}`);
  process.exit(2);
}
const dispatcherKillMs = integerFlag('dispatcher-kill-ms', 100);
const watcherKills = integerFlag('watcher-kills', 0);

const NAMESPACE = 'soak';
const DISPATCHERS = 3;
const WATCHERS = 2;
/** Through the chaos proxy: 8 % 429 (Retry-After 1 s), 12 % 5xx on every request but watches; about 20 % of them fail. */
const FAULTS = [
  'error:code=429,retryAfterSeconds=1,rate=0.08,verbs=get+list+create+delete',
  'error:code=500,rate=0.05,verbs=get+list+create+delete',
  'error:code=503,rate=0.05,verbs=get+list+create+delete',
  'error:code=504,rate=0.04,verbs=get+list+create+delete',
  'gone:every=3',
  'cut-watch:afterEvents=25,rate=0.5',
  'cut-watch:afterMs=4000',
];
/** Short enough that the soak sees many takeovers in minutes; production defaults are longer. */
const TIMINGS = {
  KUBEDISPATCH_DISPATCHER_LOCK_DURATION_MS: '5000',
  KUBEDISPATCH_DISPATCHER_STALLED_INTERVAL_MS: '2500',
  KUBEDISPATCH_WATCHER_LEASE_TTL_MS: '3000',
  KUBEDISPATCH_WATCHER_SWEEP_INTERVAL_MS: '5000',
  // Finished Jobs stay this long (production: 60 s), so that a create still in flight after a lost
  // lock meets the Job; it must stay below CLEANUP_GRACE_MS, after which a Job left is a failure.
  KUBEDISPATCH_FINISHED_JOB_GRACE_MS: '20000',
};
const REDIS_DOWN_MS = 2000;
const PROGRESS_EVERY_MS = 5000;
const CLEANUP_GRACE_MS = 30_000;

const startedAt = Date.now();
const elapsed = (): number => Math.round((Date.now() - startedAt) / 100) / 10;
const deadline = startedAt + maxMinutes * 60_000;
function emit(event: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ soak: event, t: elapsed(), ...fields }));
}

const plan = makePlan({
  seed,
  runs,
  blocks,
  watcherKills,
  submitSpreadMs: Math.min(30_000, runs * 1500),
  failingRunShare: 0.25,
});
const dir = mkdtempSync(join(tmpdir(), 'kubedispatch-soak-'));
for (const sub of ['logs', 'redis', 'project']) mkdirSync(join(dir, sub));
const children = new Children(join(dir, 'logs'));
const front = new JobLedger();
const back = new JobLedger();
const proxies: RecordingProxy[] = [];
let monitor: Redis | undefined;
let stopping = false;

async function shutdown(): Promise<void> {
  stopping = true;
  monitor?.disconnect();
  await children.stopAll();
  await Promise.all(proxies.map((proxy) => proxy.stop()));
}
process.on('exit', () => children.killAllNow());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    emit('interrupted', { signal });
    void shutdown().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

const runsState: SoakRun[] = plan.runs.map((runPlan) => ({ plan: runPlan }));
const kills = { dispatchers: 0, dispatcherTicksSkipped: 0, watchers: 0, redisRestarts: 0 };
const takeoversMs: number[] = [];
let redisKeys: { before: number; after: number } | undefined;

async function api(apiUrl: string, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${apiUrl}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
}

/** POSTs the run until the API answers 201; the Idempotency-Key makes a retry after a lost answer create nothing twice. */
async function submit(apiUrl: string, run: SoakRun): Promise<void> {
  const body = JSON.stringify({ trigger: 'soak', variables: { soak_seed: String(seed) } });
  let lastError = '';
  while (!stopping && Date.now() < deadline) {
    try {
      const answer = await api(apiUrl, `/api/v1/pipelines/${run.plan.pipelineUuid}/runs`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': `soak-${seed}-${run.plan.index}` },
        body,
      });
      if (answer.status === 201) {
        run.id = String(((await answer.json()) as RunRecord).id);
        emit('run submitted', {
          run: run.plan.index,
          id: run.id,
          pipeline: run.plan.pipelineUuid,
          blocks: run.plan.blocks.length,
        });
        return;
      }
      lastError = `HTTP ${answer.status}: ${(await answer.text()).slice(0, 300)}`;
      // A 4xx will not change: the soak itself is wrong.
      if (answer.status < 500) break;
    } catch (thrown) {
      lastError = (thrown as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  run.submitError = lastError || 'stopped before it could be created';
  emit('run not submitted', { run: run.plan.index, error: run.submitError });
}

/** Run states from the list endpoint (no blocks: cheap enough to poll); undefined while the API cannot answer. */
async function runStates(apiUrl: string): Promise<Map<string, string> | undefined> {
  try {
    const answer = await api(apiUrl, '/api/v1/runs?limit=500');
    if (!answer.ok) return undefined;
    const { runs: records } = (await answer.json()) as { runs: RunRecord[] };
    return new Map(records.map((record) => [String(record.id), record.state]));
  } catch {
    return undefined;
  }
}

async function finalRecord(apiUrl: string, id: string): Promise<RunWithBlocks | null | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const answer = await api(apiUrl, `/api/v1/runs/${id}`);
      if (answer.status === 404) return null;
      if (answer.ok) return (await answer.json()) as RunWithBlocks;
    } catch {
      // retried below
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return undefined;
}

const isTerminal = (state: string | undefined): boolean =>
  state === 'succeeded' || state === 'failed' || state === 'cancelled';

async function main(): Promise<number> {
  emit('start', {
    seed,
    runs: plan.runs.length,
    blocks,
    expectedJobs: plan.expectedJobs,
    maxMinutes,
    dispatcherKillMs,
    watcherKillsAt: plan.watcherKillAt.map((f) => Math.round(f * 100) / 100),
    redisRestartAt: Math.round(plan.redisRestartAt * 100) / 100,
    dir,
    loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
  });
  writeSoakProject(join(dir, 'project'), plan.runs);
  const redis = await AofRedis.start(children, join(dir, 'redis'));
  monitor = new Redis(redis.url, { maxRetriesPerRequest: 1, lazyConnect: true });
  monitor.on('error', () => undefined);
  await monitor.connect();
  const sim = await startSim(children, join(dir, 'sim.kubeconfig'));
  const created = await fetch(`${sim.url}/api/v1/namespaces`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } }),
  });
  if (created.status !== 201)
    throw new Error(`cannot create namespace ${NAMESPACE} in the simulation: HTTP ${created.status}`);
  const behind = await startRecordingProxy(sim.url, back, { kubeconfigOut: join(dir, 'recorded.kubeconfig') });
  proxies.push(behind);
  const chaos = await startChaos(children, behind.kubeconfigPath, join(dir, 'chaos.kubeconfig'), seed, FAULTS);
  const inFront = await startRecordingProxy(chaos.url, front, { kubeconfigOut: join(dir, 'workers.kubeconfig') });
  proxies.push(inFront);

  const prefix = `soak-${seed}`;
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    REDIS_URL: redis.url,
    KUBECONFIG: inFront.kubeconfigPath,
    KUBE_NAMESPACE: NAMESPACE,
    KUBEDISPATCH_QUEUE_PREFIX: prefix,
    KUBEDISPATCH_PROJECT_DIR: join(dir, 'project'),
    LOG_LEVEL: 'info',
    ...TIMINGS,
  };
  const scheduler = await startScheduler(children, env);
  const dispatchers: Child[] = Array.from({ length: DISPATCHERS }, (_, slot) => spawnDispatcher(children, slot, env));
  const watcherPorts = await Promise.all(Array.from({ length: WATCHERS }, () => freePort()));
  const watchers: Child[] = watcherPorts.map((port, slot) => spawnWatcher(children, slot, env, port));
  await waitUntil(
    'a watcher to act',
    async () => (await Promise.all(watcherPorts.map(holdsLease))).includes(true),
    90_000,
  );
  await waitUntil(
    'the dispatchers to start',
    () => dispatchers.every((child) => child.log().includes('"msg":"dispatcher started"')),
    90_000,
  );
  emit('processes ready', {
    scheduler: scheduler.child.pid,
    dispatchers: dispatchers.map((c) => c.pid),
    watchers: watchers.map((c) => c.pid),
    redis: redis.url,
  });

  const soakStart = Date.now();
  const submissions = plan.runs.map(async (runPlan: RunPlan, index) => {
    await new Promise((resolve) => setTimeout(resolve, runPlan.submitAtMs));
    await submit(scheduler.apiUrl, runsState[index] as SoakRun);
  });
  const allSubmitted = Promise.all(submissions);

  // Every tick SIGKILLs one dispatcher that is up (started and taking work) and starts its
  // replacement at once. Killing one still loading the Kubernetes client would test nothing, and
  // one dispatcher is always left up, or on a loaded machine none would ever work.
  const up = new Set<Child>();
  const isUp = (child: Child): boolean => {
    if (!up.has(child) && child.alive() && child.log().includes('"msg":"dispatcher started"')) up.add(child);
    return up.has(child) && child.alive();
  };
  const dispatcherKiller = setInterval(() => {
    if (stopping) return;
    const candidates = dispatchers.map((child, slot) => ({ child, slot })).filter(({ child }) => isUp(child));
    if (candidates.length < 2) {
      kills.dispatcherTicksSkipped++;
      return;
    }
    const { child: victim, slot } = candidates[plan.nextVictim(candidates.length)] as { child: Child; slot: number };
    up.delete(victim);
    void victim.kill('SIGKILL').then(() => {
      kills.dispatchers++;
      if (!stopping) dispatchers[slot] = spawnDispatcher(children, slot, env);
    });
  }, dispatcherKillMs);

  async function killActingWatcher(): Promise<boolean> {
    const token = await monitor?.get(leaseKey(prefix)).catch(() => null);
    const holding = await Promise.all(watcherPorts.map(holdsLease));
    const slot = holding.indexOf(true);
    if (!token || slot === -1 || holding.filter(Boolean).length !== 1) return false;
    // Only with a standby ready to take over: killing the one watcher that runs tests nothing.
    const standbysReady = await Promise.all(watcherPorts.filter((_, other) => other !== slot).map(isReady));
    if (!standbysReady.every(Boolean)) return false;
    const victim = watchers[slot] as Child;
    const killedAt = Date.now();
    await victim.kill('SIGKILL');
    kills.watchers++;
    emit('watcher killed', { slot, pid: victim.pid, leaseToken: `${token.slice(0, 8)}…` });
    watchers[slot] = spawnWatcher(children, slot, env, watcherPorts[slot] as number);
    void waitUntil(
      'a watcher to take over',
      async () => (await Promise.all(watcherPorts.map(holdsLease))).includes(true),
      60_000,
    )
      .then(() => {
        takeoversMs.push(Date.now() - killedAt);
        emit('watcher took over', { afterMs: Date.now() - killedAt });
      })
      .catch(() => emit('no watcher took over within 60 s'));
    return true;
  }

  let nextWatcherKill = 0;
  let redisDone = false;
  let states = new Map<string, string>();
  let lastProgress = 0;
  let finishedAt: number | undefined;
  while (!stopping) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const progress = back.creations().length / Math.max(1, plan.expectedJobs);
    const threshold = plan.watcherKillAt[nextWatcherKill];
    if (threshold !== undefined && progress >= threshold && (await killActingWatcher())) nextWatcherKill++;
    if (!redisDone && progress >= plan.redisRestartAt) {
      redisDone = true;
      const before = await persistentKeys(monitor);
      emit('redis killed', { keys: before, aof: 'appendfsync always' });
      await redis.crashAndRestart(REDIS_DOWN_MS);
      const after = await persistentKeys(monitor);
      redisKeys = { before, after };
      kills.redisRestarts++;
      emit('redis restarted', { keys: after, downMs: REDIS_DOWN_MS });
    }
    states = (await runStates(scheduler.apiUrl)) ?? states;
    const submitted = runsState.filter((run) => run.id !== undefined);
    const done = submitted.filter((run) => isTerminal(states.get(run.id as string)));
    const settled = runsState.every((run) => run.id !== undefined || run.submitError !== undefined);
    if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = Date.now();
      emit('progress', {
        runsSubmitted: submitted.length,
        runsFinished: done.length,
        jobsCreated: back.creations().length,
        jobsExpected: plan.expectedJobs,
        jobsLive: back.remaining().length,
        ...kills,
        load1: Math.round(loadavg()[0]! * 100) / 100,
      });
    }
    if (settled && done.length === submitted.length) {
      finishedAt = Date.now();
      break;
    }
    if (Date.now() > deadline) {
      emit('deadline reached', { maxMinutes });
      break;
    }
  }
  clearInterval(dispatcherKiller);
  await allSubmitted;
  const runTimeMs = (finishedAt ?? Date.now()) - soakStart;
  if (finishedAt) emit('all runs finished', { afterMs: runTimeMs });
  // Finished Jobs are deleted by the watcher after it stored their outcome; give the last ones time.
  await waitUntil('the watcher to delete the last Jobs', () => back.remaining().length === 0, CLEANUP_GRACE_MS).catch(
    () => emit('Jobs still in the cluster', { count: back.remaining().length }),
  );
  for (const run of runsState)
    if (run.id !== undefined) run.record = (await finalRecord(scheduler.apiUrl, run.id)) ?? undefined;

  writeFileSync(
    join(dir, 'records.json'),
    JSON.stringify(
      { seed, runs: runsState, creations: back.creations(), refused: back.refused(), tally: back.tally() },
      null,
      1,
    ),
  );
  const verdict = judge(runsState, back, prefix);
  const f = verdict.figures;
  const injected = injectedFaults();
  const rows: Record<string, string | number>[] = [
    {
      figure: 'runs finished as expected',
      value: `${f.runsAsExpected}/${f.runsPlanned}`,
      means:
        'run state and every block state as the plan says (failing blocks failed, their descendants upstream_failed)',
    },
    { figure: 'runs lost', value: f.runsLost, means: 'not created, gone (404) or not finished at the end' },
    {
      figure: 'runs finished wrong',
      value: f.runsNotAsExpected,
      means: 'finished, but the run or a block state differs from the plan',
    },
    {
      figure: 'block runs as expected',
      value: `${f.blockRunsAsExpected}/${f.blockRunsPlanned}`,
      means: 'terminal and in the planned state',
    },
    { figure: 'block runs lost', value: f.blockRunsLost, means: 'missing or not terminal at the end' },
    { figure: 'block runs ended wrong', value: f.blockRunsWrong, means: 'terminal in another state than planned' },
    {
      figure: 'Jobs created (recorded)',
      value: `${f.jobsCreated} (plan: ${f.jobsExpected})`,
      means: '201 answers to Job creates seen between the chaos proxy and the cluster',
    },
    {
      figure: 'Jobs created twice (name)',
      value: f.duplicateJobsByName,
      means: 'two successful creates of one Job name',
    },
    {
      figure: 'Jobs created twice (attempt)',
      value: f.duplicateJobsByAttempt,
      means: 'two Jobs with the identity labels of one block run and attempt',
    },
    {
      figure: 'Jobs of no known attempt',
      value: f.jobsOfNoKnownAttempt,
      means: 'created, but no attempt of any run names them',
    },
    {
      figure: 'outcomes without a Job',
      value: f.outcomesWithoutJob,
      means: 'an attempt with an outcome whose Job was never created (a false result)',
    },
    {
      figure: 'attempts without a Job name',
      value: f.attemptsWithoutJobName,
      means: 'decided attempts whose record does not name their Job (matched to it by its labels instead)',
    },
    {
      figure: 'Jobs left in the cluster',
      value: f.jobsLeftInCluster,
      means: `created and not deleted ${CLEANUP_GRACE_MS / 1000} s after the last run ended`,
    },
    {
      figure: '409 answers to creates',
      value: back.refused().filter((r) => r.status === 409).length,
      means: 'a create repeated after a kill, answered AlreadyExists (then adopted)',
    },
    {
      figure: 'faults injected',
      value: `${injected.errors} errors (${injected.share}% of ${injected.requests} non-watch requests), ${injected.watches} watches refused/410`,
      means: 'answers the workers got that never reached the cluster',
    },
    {
      figure: 'dispatcher SIGKILLs',
      value: `${kills.dispatchers} (${kills.dispatcherTicksSkipped} ticks skipped)`,
      means: `every ${dispatcherKillMs} ms one of the dispatchers up, restarted at once; skipped while fewer than 2 were up`,
    },
    {
      figure: 'acting watcher SIGKILLs',
      value: `${kills.watchers} (takeover ${takeoversMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ') || '—'})`,
      means: 'the lease holder killed; takeover: until a watcher acts again',
    },
    {
      figure: 'Redis SIGKILL + restart',
      value: `${kills.redisRestarts} (keys ${redisKeys ? `${redisKeys.before} → ${redisKeys.after}` : '—'})`,
      means: `AOF, appendfsync always, down ${REDIS_DOWN_MS / 1000} s; keys without a TTL before the kill → after the restart`,
    },
    {
      figure: 'time taken',
      value: `${(runTimeMs / 1000).toFixed(1)} s`,
      means: 'first submission to the last run finished',
    },
    {
      figure: 'load average (1/5/15 min)',
      value: loadavg()
        .map((l) => l.toFixed(2))
        .join(' / '),
      means: `${cpus().length} cores, shared with other work`,
    },
  ];
  console.log('');
  console.log(
    `soak seed ${seed}: ${plan.runs.length} runs, ${f.blockRunsPlanned} block runs, ${DISPATCHERS} dispatchers, ${WATCHERS} watchers, 1 scheduler`,
  );
  printTable(rows);
  emit('figures', { seed, ...f, ...kills, takeoversMs, redisKeys, runTimeMs, injected, loadavg: loadavg() });
  if (verdict.failures.length > 0) {
    console.log('');
    for (const failure of verdict.failures) console.log(`FAIL: ${failure}`);
    console.log(`logs of every process: ${join(dir, 'logs')}`);
    return 1;
  }
  console.log('\nPASS: every run finished as planned, no Job created twice, nothing lost');
  return 0;
}

/** Keys without a TTL: those with one (locks, the lease) may rightly expire while Redis is down. */
async function persistentKeys(redis: Redis): Promise<number> {
  const line = /^db0:keys=(\d+),expires=(\d+)/m.exec(await redis.info('keyspace'));
  return line ? Number(line[1]) - Number(line[2]) : 0;
}

/** What the chaos proxy answered by itself: the difference between what the workers got and what reached the cluster. */
function injectedFaults(): { errors: number; requests: number; share: number; watches: number } {
  const sum = (ledger: JobLedger, match: (verb: string, status: string) => boolean): number =>
    ledger.tally().reduce((total, [key, count]) => {
      const [verb, , status] = key.split(' ') as [string, string, string];
      return match(verb, status) ? total + count : total;
    }, 0);
  const failing = (verb: string, status: string): boolean =>
    verb !== 'watch' && ['429', '500', '503', '504'].includes(status);
  const errors = sum(front, failing) - sum(back, failing);
  const requests = sum(front, (verb) => verb !== 'watch');
  const watches = sum(front, (verb) => verb === 'watch') - sum(back, (verb) => verb === 'watch');
  return { errors, requests, share: requests ? Math.round((errors / requests) * 1000) / 10 : 0, watches };
}

let code = 1;
try {
  code = await main();
} catch (thrown) {
  // After SIGINT/SIGTERM, whatever main was waiting for fails because its processes were stopped.
  if (!stopping) {
    console.error(`soak: ${(thrown as Error).stack ?? String(thrown)}`);
    console.error(`logs of every process: ${join(dir, 'logs')}`);
  }
} finally {
  await shutdown();
}
if (code === 0 && !flags['keep-dir']) rmSync(dir, { recursive: true, force: true });
process.exit(code);
