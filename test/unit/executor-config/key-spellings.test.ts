import { describe, expect, it } from 'vitest';
import { ProblemList } from '../../../src/errors/config-problem.ts';
import { CONFIG_PLACES, writtenPath } from '../../../src/executor-config/key-spellings.ts';
import { parseExecutorConfig } from '../../../src/executor-config/parse-config.ts';
import { executorConfigRegistry } from '../../../src/executor-config/schema.ts';
import { parseYaml } from '../../../src/input/safe-yaml.ts';

function parsed(yaml: string) {
  const problems = new ProblemList();
  const result = parseExecutorConfig(parseYaml(yaml, 'c.yaml'), 'c.yaml', '', problems);
  expect(problems.items).toEqual([]);
  return result!;
}

/** The spelling as a dispatcher reads it: from the run's JSON snapshot. */
function writtenIn(yaml: string, path: string): string {
  return writtenPath(JSON.parse(JSON.stringify(parsed(yaml).spelling)), path);
}

describe('the spelling of a parsed config', () => {
  // [what, config, normalised leaf path, path as written]
  it.each([
    ['the snake_case key', 'pod: {service_account_name: a}', 'pod.serviceAccountName', 'pod.service_account_name'],
    ['the camelCase key', 'pod: {serviceAccountName: a}', 'pod.serviceAccountName', 'pod.serviceAccountName'],
    ['keys in other forms', 'pod: {Host_IPC: true}', 'pod.hostIPC', 'pod.Host_IPC'],
    [
      "the top-level service account over the pod's",
      'service_account_name: a\npod: {service_account_name: b}',
      'pod.serviceAccountName',
      'service_account_name',
    ],
    ['top-level resources', 'resource_limits: {cpu: 1}', 'container.resources.limits.cpu', 'resource_limits.cpu'],
    ['camelCase resources', 'resourceLimits: {cpu: 1}', 'container.resources.limits.cpu', 'resourceLimits.cpu'],
    [
      'top-level resources over container_config',
      'resource_requests: {cpu: 1}\ncontainer_config: {resources: {requests: {cpu: 2}}}',
      'container.resources.requests.cpu',
      'resource_requests.cpu',
    ],
    [
      'container_config over container',
      'container: {image: a}\ncontainer_config: {image: b}',
      'container.image',
      'container_config.image',
    ],
    [
      'container without container_config',
      'container: {image: a}\ncontainer_config: {tty: true}',
      'container.image',
      'container.image',
    ],
    [
      'a resource name with dots',
      'container: {resources: {limits: {nvidia.com/gpu: 1}}}',
      'container.resources.limits.nvidia.com/gpu',
      'container.resources.limits."nvidia.com/gpu"',
    ],
    [
      'a data key as written',
      'metadata: {labels: {team_name: a}}',
      'metadata.labels.team_name',
      'metadata.labels.team_name',
    ],
    ['a named-list item by index', 'container: {env: [{name: A}, {name: B}]}', 'container.env[B]', 'container.env[1]'],
    [
      'a named-list item of container_config over container',
      'container: {env: [{name: B}]}\ncontainer_config: {env: [{name: A}, {name: B}]}',
      'container.env[B]',
      'container_config.env[1]',
    ],
    [
      'an image pull secret written as a string',
      'pod: {image_pull_secrets: reg}',
      'pod.imagePullSecrets[reg]',
      'pod.image_pull_secrets',
    ],
    ['metadata.namespace', 'metadata: {namespace: ns}', 'namespace', 'metadata.namespace'],
    ['namespace over metadata.namespace', 'namespace: ns\nmetadata: {namespace: ns}', 'namespace', 'namespace'],
  ])('names %s', (_name, yaml, path, expected) => {
    expect(writtenIn(yaml, path)).toBe(expected);
  });

  it('records only the paths written otherwise than normalised, as plain data', () => {
    const camelCase = parsed('pod: {schedulerName: s}\ncontainer: {image: a, env: [{name: A}]}');
    expect(camelCase.spelling).toEqual({ 'container.env[A]': 'container.env[0]' });
    const snakeCase = parsed('job_name_prefix: p\nmetadata: {labels: {a: b}}');
    expect(snakeCase.spelling).toEqual({ jobNamePrefix: 'job_name_prefix' });
  });

  it('places every top-level key of the schema, so the fold drops none', () => {
    const { objects } = executorConfigRegistry;
    const metadata = objects['ExecutorMetadata']!.map((attribute) => `metadata.${attribute.name}`);
    const keys = objects['ExecutorConfig']!.flatMap(({ name }) => (name === 'metadata' ? metadata : [name]));
    expect(CONFIG_PLACES.map((place) => place.written).sort()).toEqual(keys.sort());
  });
});
