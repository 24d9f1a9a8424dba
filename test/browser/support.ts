import { existsSync } from 'node:fs';
import type { Env } from '../../src/config/env.ts';
import { loadSettings } from '../../src/config/settings.ts';
import { startDashboard } from '../../src/http/dashboard.ts';
import type { RunningHttpServer } from '../../src/http/server.ts';
import { startAllInOne } from '../../src/processes/all-in-one.ts';
import type { Service } from '../../src/processes/run-service.ts';
import { createPipelineRun } from '../../src/runs/create-run.ts';
import { openRunContext, type RunContext } from '../../src/runs/run-context.ts';
import type { RunWithBlocks } from '../../src/runs/types.ts';
import type { BehaviourRule } from '../../src/sim/behaviour-rules.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/sim-cluster.ts';
import { writeProject, type TestBlock, type TestProject } from '../dispatch/support/project.ts';
import { silentLogger } from '../scheduler/support.ts';
import { testRedis, type TestRedis } from '../support/redis.ts';
import { CHROMIUM_PATH } from './chromium.ts';

export { launchChromium } from './chromium.ts';

const MISSING = existsSync(CHROMIUM_PATH)
  ? undefined
  : `no Chromium at ${CHROMIUM_PATH} (install it, e.g. apt-get install chromium, or set KUBEDISPATCH_CHROMIUM)`;

// CI sets KUBEDISPATCH_BROWSER_TESTS=required (.ci/run): there a missing browser fails the tests instead of skipping them.
if (MISSING && process.env['KUBEDISPATCH_BROWSER_TESTS'] === 'required')
  throw new Error(`browser tests required (KUBEDISPATCH_BROWSER_TESTS=required) but ${MISSING}`);

/** Why the browser tests are skipped here, or undefined when they run. */
export const NO_BROWSER = MISSING && `browser tests skipped: ${MISSING}`;

export interface Stack {
  /** The dashboard's base URL (`http://127.0.0.1:PORT`). */
  url: string;
  context: RunContext;
  /** Creates a run of the test project's pipeline. */
  createRun(): Promise<number>;
  run(runId: number): Promise<RunWithBlocks>;
  stop(): Promise<void>;
}

export interface StackOptions {
  blocks: TestBlock[];
  /** Behaviour of the simulated pods beside the blocks' own annotations (e.g. by attempt label). */
  behaviourRules?: BehaviourRule[];
  authToken?: string;
  /** The pipeline's run limit: runs beyond it wait. */
  pipelineRunLimit?: number;
}

/**
 * The whole system in this process, as the demo runs it: scheduler, dispatcher and watcher on the
 * simulated cluster with this test's Redis prefix, and the dashboard on a free loopback port.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const redis: TestRedis = testRedis();
  const sim: SimCluster = await startSimCluster({
    podFailureBackoffMs: 10,
    ...(options.behaviourRules ? { behaviourRules: options.behaviourRules } : {}),
  });
  const project: TestProject = writeProject(
    options.blocks,
    'web',
    options.pipelineRunLimit ? { pipelineRunLimit: options.pipelineRunLimit } : {},
  );
  const env: Env = {
    REDIS_URL: redis.url,
    KUBECONFIG: sim.kubeconfigPath,
    KUBEDISPATCH_QUEUE_PREFIX: redis.prefix,
    KUBEDISPATCH_PROJECT_DIR: project.dir,
    KUBEDISPATCH_SCHEDULER_SWEEP_INTERVAL_MS: '500',
    KUBEDISPATCH_WATCHER_SWEEP_INTERVAL_MS: '500',
    KUBEDISPATCH_API_QPS: '1000',
    KUBEDISPATCH_API_BURST: '1000',
    ...(options.authToken ? { KUBEDISPATCH_AUTH_TOKEN: options.authToken } : {}),
    LOG_LEVEL: 'silent',
  };
  const settings = loadSettings(env);
  const started: { stop(): Promise<void> }[] = [];
  const stop = async () => {
    for (const part of started.reverse()) await part.stop();
    await sim.stop();
    project.remove();
    await redis.cleanup();
  };
  try {
    const all: Service = await startAllInOne({
      settings,
      env,
      logger: silentLogger,
      kubeconfigPath: sim.kubeconfigPath,
      http: false,
    });
    started.push(all);
    const context = await openRunContext(settings, env, { kubeconfig: sim.kubeconfigPath });
    started.push({ stop: () => context.close() });
    const server: RunningHttpServer = await startDashboard(context, settings, silentLogger, { port: 0 });
    started.push({ stop: () => server.close() });
    return {
      url: `http://127.0.0.1:${server.port}`,
      context,
      createRun: () => createPipelineRun(context.creator, { pipelineUuid: 'pipeline', trigger: 'web', variables: {} }),
      run: async (runId) => {
        const run = await context.services.store.getRun(runId);
        if (!run) throw new Error(`no run ${runId}`);
        return run;
      },
      stop,
    };
  } catch (thrown) {
    await stop();
    throw thrown;
  }
}
