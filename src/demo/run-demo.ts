import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startAllInOne } from '../processes/all-in-one.ts';
import type { Env } from '../config/env.ts';
import { loadSettings } from '../config/settings.ts';
import { openCluster } from '../k8s/open-cluster.ts';
import { createLogger } from '../observability/logger.ts';
import { startLocalRedis } from '../redis/local-redis-server.ts';
import { createPipelineRun } from '../runs/create-run.ts';
import { followRun } from '../runs/follow-run.ts';
import { withRunContext } from '../runs/run-context.ts';
import { runSummary } from '../runs/run-report.ts';
import { readBehaviourRules } from '../sim/behaviour-rules.ts';
import { startSimCluster } from '../sim/sim-cluster.ts';
import { UI_PATH } from '../http/server.ts';
import { API_PATH, LOGIN_PATH, RUNS_PAGE_PATH, runPagePath } from '../http/web-paths.ts';
import { DEMO_ETL_OUTCOME, outcomeDifferences } from './expected-outcome.ts';
import { DEMO_PREFIX_START, deleteLeftoverDemoJobs } from './leftover-jobs.ts';

export const EXAMPLE_PROJECT_DIR = fileURLToPath(new URL('../../examples/project', import.meta.url));
/** How the example's pods behave on the simulated cluster; kept out of the project so its real Jobs stay clean. */
export const DEMO_BEHAVIOURS_FILE = fileURLToPath(new URL('../../examples/sim/demo-behaviours.yaml', import.meta.url));
export const DEMO_PIPELINE = 'demo_etl';

export interface DemoOptions {
  env: Env;
  /** A real cluster's kubeconfig; without it the demo starts the simulated cluster. */
  kubeconfig?: string;
  /** Keep everything running (with the dashboard) after the run, until SIGINT/SIGTERM. */
  keep: boolean;
  httpPort: number;
  print(line: string): void;
  /** Aborted on SIGINT/SIGTERM: the demo stops where it is and removes everything it started. */
  interrupted: AbortSignal;
}

/** Why the demo ended early: a signal asked it to stop. */
export class DemoInterrupted extends Error {
  constructor() {
    super('demo interrupted; everything it started was stopped');
    this.name = 'DemoInterrupted';
  }
}

/**
 * Waits for `work` unless the demo is interrupted first. Only for waits that hold nothing to clean
 * up themselves: a start-up step is awaited whole, so that what it started is always stopped.
 */
async function unlessInterrupted<T>(interrupted: AbortSignal, work: Promise<T>): Promise<T> {
  if (interrupted.aborted) throw new DemoInterrupted();
  let stopWaiting = (): void => undefined;
  const abort = new Promise<never>((_, reject) => {
    const onAbort = () => reject(new DemoInterrupted());
    interrupted.addEventListener('abort', onAbort, { once: true });
    stopWaiting = () => interrupted.removeEventListener('abort', onAbort);
  });
  try {
    return await Promise.race([work, abort]);
  } finally {
    stopWaiting();
  }
}

type Cleanup = () => Promise<void>;

/**
 * The demo: Redis (REDIS_URL or a private redis-server), the simulated cluster (or a real one),
 * scheduler + dispatcher + watcher in this process, one run of the example pipeline with live
 * progress and a summary. Returns true when the run ended exactly as the example is built to.
 */
export async function runDemo(options: DemoOptions): Promise<boolean> {
  const { print, interrupted } = options;
  const stopIfInterrupted = () => {
    if (interrupted.aborted) throw new DemoInterrupted();
  };
  const cleanups: Cleanup[] = [];
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
  try {
    let redisUrl = options.env['REDIS_URL'];
    // What to tell the user to set: never the value of their own REDIS_URL, which may hold a password.
    let redisUrlToShow = '"$REDIS_URL"';
    if (redisUrl) {
      print('redis:      using REDIS_URL');
    } else {
      const redis = await startLocalRedis();
      cleanups.push(() => redis.stop());
      stopIfInterrupted();
      redisUrl = redis.url;
      redisUrlToShow = redis.url;
      print(`redis:      started a private redis-server at ${redis.url}`);
    }

    let kubeconfig = options.kubeconfig;
    if (kubeconfig) {
      print(`kubernetes: the cluster of ${kubeconfig}`);
    } else {
      // A short pod replacement backoff keeps the demo brisk; Kubernetes itself waits 10 s.
      const sim = await startSimCluster({
        podFailureBackoffMs: 1000,
        behaviourRules: readBehaviourRules(DEMO_BEHAVIOURS_FILE),
      });
      cleanups.push(() => sim.stop());
      stopIfInterrupted();
      kubeconfig = sim.kubeconfigPath;
      print(`kubernetes: SIMULATED cluster (kubedispatch's built-in stand-in, not a real cluster) at ${sim.url}`);
      print(`            kubeconfig: ${sim.kubeconfigPath}`);
    }

    // A prefix of its own: the demo never touches other kubedispatch state in the same Redis.
    const prefix = `${DEMO_PREFIX_START}${randomUUID().slice(0, 8)}`;
    const env: Env = {
      ...options.env,
      REDIS_URL: redisUrl,
      KUBECONFIG: kubeconfig,
      KUBEDISPATCH_QUEUE_PREFIX: prefix,
      KUBEDISPATCH_PROJECT_DIR: EXAMPLE_PROJECT_DIR,
      KUBEDISPATCH_HTTP_PORT: String(options.httpPort),
      KUBEDISPATCH_SCHEDULER_SWEEP_INTERVAL_MS: '2000',
      KUBEDISPATCH_WATCHER_SWEEP_INTERVAL_MS: '2000',
      LOG_LEVEL: options.env['LOG_LEVEL'] ?? 'warn',
    };
    const settings = loadSettings(env);
    if (options.kubeconfig) {
      const deleted = await unlessInterrupted(
        interrupted,
        deleteLeftoverDemoJobs(openCluster(settings, env), DEMO_PIPELINE),
      );
      if (deleted > 0)
        print(
          `            deleted ${deleted} Job${deleted === 1 ? '' : 's'} left by earlier demos (their names would collide)`,
        );
    }
    const logger = createLogger(settings.log.level, 'demo');
    const all = await startAllInOne({
      settings,
      env,
      logger,
      kubeconfigPath: kubeconfig,
      http: options.keep ? {} : false,
    });
    cleanups.push(() => all.stop());
    stopIfInterrupted();
    print(`processes:  scheduler, dispatcher, watcher (Redis key prefix ${prefix})`);
    const dashboard = `http://${settings.http.host}:${settings.http.port}`;
    if (options.keep) {
      print(
        `runs:       ${dashboard}${RUNS_PAGE_PATH}   Bull Board: ${dashboard}${UI_PATH}   API: ${dashboard}${API_PATH}/runs`,
      );
      // The token itself is never printed: the user's shell fills it in.
      if (settings.http.authToken)
        print(
          `login:      ${dashboard}${LOGIN_PATH}?token=${options.env['KUBEDISPATCH_AUTH_TOKEN'] ? '$KUBEDISPATCH_AUTH_TOKEN' : '<http.authToken>'} (once: a cookie keeps the browser logged in)`,
        );
    }
    print('');

    let runId = 0;
    const run = await withRunContext(settings, env, {}, async (context) => {
      runId = await createPipelineRun(context.creator, { pipelineUuid: DEMO_PIPELINE, trigger: 'demo', variables: {} });
      print(
        `${elapsed()}  run ${runId} of ${DEMO_PIPELINE} created${options.keep ? `: ${dashboard}${runPagePath(runId)}` : ''}`,
      );
      return unlessInterrupted(
        interrupted,
        followRun(context.services.store, runId, (line) => print(`${elapsed()}  ${line}`)),
      );
    });
    print('');
    print(runSummary(run));
    print('');
    const differences = outcomeDifferences(run, DEMO_ETL_OUTCOME);
    if (differences.length === 0) {
      print('demo: every block ended as the example is built to (slow_report is meant to hit its deadline)');
    } else {
      print('demo: the run did not end as expected:');
      for (const difference of differences) print(`  - ${difference}`);
    }

    if (options.keep) {
      print('demo: still running for exploration (Ctrl-C to stop). To use the CLI against it:');
      print(
        `  REDIS_URL=${redisUrlToShow} KUBEDISPATCH_QUEUE_PREFIX=${prefix} KUBECONFIG=${kubeconfig} kubedispatch status ${runId}`,
      );
      if (!interrupted.aborted) await once(interrupted, 'abort');
    }
    return differences.length === 0;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}
