import { describe, expect, it } from 'vitest';
import { ProblemList } from '../../../src/errors/config-problem.ts';
import { parseExecutorConfig } from '../../../src/executor-config/parse-config.ts';
import { writtenKeyPath } from '../../../src/executor-config/written-keys.ts';
import { parseYaml } from '../../../src/input/safe-yaml.ts';

function writtenIn(yaml: string, path: string): string | undefined {
  const config = parseExecutorConfig(parseYaml(yaml, 'c.yaml'), 'c.yaml', '', new ProblemList());
  return config && writtenKeyPath(config, path);
}

describe('writtenKeyPath', () => {
  it.each([
    ['the snake_case key', 'pod: {service_account_name: a}', 'pod.serviceAccountName', 'pod.service_account_name'],
    ['the camelCase key', 'pod: {serviceAccountName: a}', 'pod.serviceAccountName', 'pod.serviceAccountName'],
    [
      "the top-level service account over the pod's",
      'service_account_name: a\npod: {service_account_name: b}',
      'pod.serviceAccountName',
      'service_account_name',
    ],
    ['top-level resources', 'resource_limits: {cpu: 1}', 'container.resources.limits.cpu', 'resource_limits.cpu'],
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
      'container when container_config lacks it',
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
      'a named-list item by its index',
      'container: {env: [{name: A, value: "1"}, {name: B, value: "2"}]}',
      'container.env[B]',
      'container.env[1]',
    ],
    ['metadata.namespace', 'metadata: {namespace: ns}', 'namespace', 'metadata.namespace'],
  ])('finds %s', (_name, yaml, path, expected) => {
    expect(writtenIn(yaml, path)).toBe(expected);
  });

  it('knows nothing of settings the config does not set', () => {
    expect(writtenIn('pod: {scheduler_name: s}', 'container.image')).toBeUndefined();
  });
});
