import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../../src/config/env.ts';
import { BlockRenderer } from '../../../src/dispatch/block-renderer.ts';
import { ConfigError, formatProblem } from '../../../src/errors/config-problem.ts';
import { readProject } from '../../../src/project/load-project.ts';
import type { Project } from '../../../src/project/model.ts';
import { loadRenderContext } from '../../../src/render/context.ts';
import { planBlockJob } from '../../../src/render/render-block-job.ts';
import { validateProject } from '../../../src/render/validate-project.ts';
import type { RunStore } from '../../../src/runs/run-store.ts';
import type { RunRecord } from '../../../src/runs/types.ts';
import { writeTree, writeYaml } from '../support/mage-project.ts';

/**
 * `validate` renders from the project it reads; a dispatcher renders from the run's snapshot, which
 * went through JSON in Redis. Both must name a problem by the file and the key the user wrote.
 */

const SERVER_POD: V1Pod = { spec: { containers: [{ name: 'mage', image: 'server:1' }] } };
const OPTIONS = { queuePrefix: 'kd', serverPod: SERVER_POD, watchedNamespaces: ['kd-jobs'] };
const ENV: Env = { KUBE_NAMESPACE: 'kd-jobs', K8S_EXECUTOR_MAX_RESOURCE_LIMITS_MEMORY: '4Gi' };

/** Bad settings in snake_case, with the key path (relative to the config) a problem must name. */
interface BadSetting {
  name: string;
  config: Record<string, unknown>;
  at: string;
  policy?: Record<string, unknown>;
}

const BAD_SETTINGS: BadSetting[] = [
  { name: 'a limit above its maximum', config: { resource_limits: { memory: '8Gi' } }, at: 'resource_limits.memory' },
  {
    name: 'a request above its limit',
    config: { container_config: { resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } } },
    at: 'container_config.resources.requests.cpu',
  },
  { name: 'a Job name prefix that is no name', config: { job_name_prefix: 'X' }, at: 'job_name_prefix' },
  {
    name: 'a mount of no volume',
    config: {
      pod: { volumes: [{ name: 'data', empty_dir: {} }] },
      container: {
        volume_mounts: [
          { name: 'data', mount_path: '/d' },
          { name: 'ghost', mount_path: '/g' },
        ],
      },
    },
    at: 'container.volume_mounts[1]',
  },
  { name: 'a namespace not watched', config: { metadata: { namespace: 'elsewhere' } }, at: 'metadata.namespace' },
  {
    name: 'a value the enforced policy forbids',
    config: { service_account_name: 'mine' },
    at: 'service_account_name',
    policy: { enforce: true, strict_conflicts: true, service_account_name: 'enforced' },
  },
];

const LAYERS = {
  block: { file: 'pipelines/etl/metadata.yaml', keyPath: 'blocks[1].executor_config' },
  pipeline: { file: 'pipelines/etl/metadata.yaml', keyPath: 'executor_config' },
  project: { file: 'metadata.yaml', keyPath: 'k8s_executor_config' },
} as const;
type Layer = keyof typeof LAYERS;

const camel = (key: string): string => key.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());

/** The same config with every key in camelCase (the bad settings have no data key with `_`). */
function inCamelCase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(inCamelCase);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, child]) => [camel(key), inCamelCase(child)]));
}

function projectWith(layer: Layer, config: unknown): string {
  const block = (uuid: string, own?: unknown) => ({
    uuid,
    type: 'data_loader',
    executor_type: 'k8s',
    upstream_blocks: [],
    downstream_blocks: [],
    ...(own !== undefined && { executor_config: own }),
  });
  return writeTree({
    'metadata.yaml': { project_uuid: 'x', ...(layer === 'project' && { k8s_executor_config: config }) },
    'pipelines/etl/metadata.yaml': {
      uuid: 'etl',
      ...(layer === 'pipeline' && { executor_config: config }),
      blocks: [block('first'), block('bad', layer === 'block' ? config : undefined)],
    },
  });
}

function validateErrors(dir: string, env: Env): string[] {
  return validateProject(dir, env, OPTIONS)
    .filter((problem) => problem.severity === 'error')
    .map(formatProblem);
}

/** Why a dispatcher fails block `bad` (InvalidConfig: the ConfigError's message), rendering from the snapshot. */
async function dispatcherErrors(dir: string, env: Env): Promise<string[]> {
  const { project } = readProject(dir, ['etl'], env);
  // As the run store hands the snapshot to a dispatcher: JSON text parsed again.
  const store: Pick<RunStore, 'getProjectSnapshot' | 'getRunRecord' | 'epoch'> = {
    getProjectSnapshot: async <T>() => JSON.parse(JSON.stringify(project)) as T,
    getRunRecord: async () =>
      ({
        id: 1,
        pipelineUuid: 'etl',
        projectDir: dir,
        trigger: '',
        variables: {},
        createdAt: 0,
      }) as RunRecord,
    epoch: async () => 'e1',
  };
  const renderer = new BlockRenderer(store as RunStore, loadRenderContext(env, OPTIONS));
  const retry = { retries: 0, delaySeconds: 0, exponentialBackoff: false, maxDelaySeconds: 0 };
  const thrown = await renderer
    .render({ runId: 1, pipelineUuid: 'etl', blockUuid: 'bad', blockRunId: 2, retry }, 1)
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  expect(thrown).toBeInstanceOf(ConfigError);
  return (thrown as ConfigError).message.split('\n');
}

describe('the key path of a problem with a user layer', () => {
  const cases = BAD_SETTINGS.flatMap((bad) =>
    (Object.keys(LAYERS) as Layer[]).flatMap((layer) => [
      { ...bad, layer, spelling: 'snake_case', written: bad.config, at: bad.at },
      { ...bad, layer, spelling: 'camelCase', written: inCamelCase(bad.config), at: camel(bad.at) },
    ]),
  );

  const title = 'is the key written for $name in the $layer config in $spelling, for validate and the dispatcher';
  it.each(cases)(title, async ({ layer, written, at, policy }) => {
    const dir = projectWith(layer, written);
    const env = { ...ENV, ...(policy && { K8S_DEFAULT_CONFIG_PATH: writeYaml(policy) }) };
    const where = `error: ${join(dir, LAYERS[layer].file)}: ${LAYERS[layer].keyPath}.${at}: `;
    const fromValidate = validateErrors(dir, env);
    expect(fromValidate).toHaveLength(1);
    expect(fromValidate[0]?.slice(0, where.length)).toBe(where);
    expect(await dispatcherErrors(dir, env)).toEqual(fromValidate);
  });

  it('is the normalised key for a snapshot taken before spellings were recorded, whose configs still apply', () => {
    const dir = projectWith('block', { resource_limits: { memory: '8Gi' }, container_config: { image: 'block:1' } });
    const snapshot = JSON.parse(
      JSON.stringify(readProject(dir, ['etl'], ENV).project, (key, value: unknown) =>
        key.endsWith('Spelling') ? undefined : value,
      ),
    ) as Project;
    const { problems, rendered } = planBlockJob(loadRenderContext(ENV, OPTIONS), snapshot, 'etl', 'bad', {
      pipelineRunId: 1,
      blockRunId: 2,
      attempt: 1,
      executionPartition: 'p',
      runtimeVariables: {},
    });
    expect(rendered).toBeUndefined();
    expect(problems.map(formatProblem)).toEqual([
      `error: ${join(dir, LAYERS.block.file)}: blocks[1].executor_config.container.resources.limits.memory: ` +
        'memory limits "8Gi" is above the maximum "4Gi" set by K8S_EXECUTOR_MAX_RESOURCE_LIMITS_MEMORY',
    ]);
  });
});
