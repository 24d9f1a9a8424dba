import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { dump } from 'js-yaml';
import type { Env } from '../../../src/config/env.ts';
import { loadProject } from '../../../src/project/load-project.ts';
import { loadRenderContext } from '../../../src/render/context.ts';
import { planBlockJob, renderBlockJob } from '../../../src/render/render-block-job.ts';
import type { RenderedJob } from '../../../src/render/render-block-job.ts';
import type { BlockRunIds } from '../../../src/render/identity.ts';
import type { ConfigProblem } from '../../../src/errors/config-problem.ts';

/** Writes files (YAML objects are dumped, strings written as they are) into a fresh temp directory. */
export function writeTree(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kd-project-'));
  for (const [path, content] of Object.entries(files)) {
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, typeof content === 'string' ? content : dump(content));
  }
  return dir;
}

export function writeYaml(content: unknown): string {
  return join(writeTree({ 'file.yaml': content }), 'file.yaml');
}

/** A one-pipeline project (`etl`) whose first block is `run_me`, with configs at every level. */
export interface Scenario {
  project?: unknown;
  pipeline?: unknown;
  block?: unknown;
  template?: unknown;
  policy?: unknown;
  env?: Env;
  /** Defaults to a pod whose only container has image `server-image:1`; null means out of a cluster. */
  serverPod?: V1Pod | null;
  ids?: Partial<BlockRunIds>;
}

export function scenarioProject(scenario: Scenario): string {
  return writeTree({
    'metadata.yaml': {
      project_uuid: 'x',
      ...(scenario.project !== undefined && { k8s_executor_config: scenario.project }),
    },
    'pipelines/etl/metadata.yaml': {
      uuid: 'etl',
      ...(scenario.pipeline !== undefined && { executor_config: scenario.pipeline }),
      blocks: [
        {
          uuid: 'run_me',
          type: 'data_loader',
          executor_type: 'k8s',
          upstream_blocks: [],
          downstream_blocks: [],
          ...(scenario.block !== undefined && { executor_config: scenario.block }),
        },
      ],
    },
  });
}

export function scenarioEnv(scenario: Scenario): Env {
  return {
    ...(scenario.template !== undefined && { K8S_CONFIG_FILE: writeYaml(scenario.template) }),
    ...(scenario.policy !== undefined && { K8S_DEFAULT_CONFIG_PATH: writeYaml(scenario.policy) }),
    ...scenario.env,
  };
}

const IDS: BlockRunIds = {
  pipelineRunId: 7,
  blockRunId: 42,
  attempt: 1,
  executionPartition: 'manual/20260101T000000_000000_7',
  runtimeVariables: { env: 'prod' },
};
/** The installation whose dispatcher renders (settings `queue.prefix`). */
export const QUEUE_PREFIX = 'kd';
const SERVER_POD: V1Pod = { spec: { containers: [{ name: 'mage', image: 'server-image:1' }] } };

function scenarioContext(scenario: Scenario) {
  const serverPod = scenario.serverPod === undefined ? SERVER_POD : scenario.serverPod;
  return loadRenderContext(
    scenarioEnv(scenario),
    serverPod ? { queuePrefix: QUEUE_PREFIX, serverPod } : { queuePrefix: QUEUE_PREFIX },
  );
}

/** Renders block `run_me` of pipeline `etl` with run ids 7/42/1 unless the scenario says otherwise. */
export function render(scenario: Scenario): RenderedJob {
  return renderBlockJob(scenarioContext(scenario), loadProject(scenarioProject(scenario)), 'etl', 'run_me', {
    ...IDS,
    ...scenario.ids,
  });
}

export function renderProblems(scenario: Scenario): ConfigProblem[] {
  return planBlockJob(scenarioContext(scenario), loadProject(scenarioProject(scenario)), 'etl', 'run_me', {
    ...IDS,
    ...scenario.ids,
  }).problems;
}

/** Runs a function expected to throw a ConfigError and returns its problems. */
export function problemsOf(run: () => unknown): ConfigProblem[] {
  try {
    run();
  } catch (thrown) {
    const problems = (thrown as { problems?: ConfigProblem[] }).problems;
    if (problems) return problems;
    throw thrown;
  }
  throw new Error('expected a ConfigError');
}
