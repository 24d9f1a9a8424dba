import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { formatProblem } from '../../../src/errors/config-problem.ts';
import { validateProject } from '../../../src/render/validate-project.ts';
import { writeTree, writeYaml } from '../support/mage-project.ts';

const example = join(import.meta.dirname, '../../../examples/project');

const OPTIONS = { queuePrefix: 'kd' };

function lines(dir: string, env = {}) {
  return validateProject(dir, env, OPTIONS).map((problem) => formatProblem(problem).replaceAll(dir, '<p>'));
}

describe('validateProject', () => {
  it('finds no problem in the example project', () => {
    expect(validateProject(example, {}, OPTIONS)).toEqual([]);
  });

  it('reports every problem of every file at once', () => {
    const dir = writeTree({
      'metadata.yaml': { k8s_executor_config: { resource_limits: { cpu: '4' }, container: { image: 'x:1' } } },
      'pipelines/broken_yaml/metadata.yaml': 'blocks: [\n',
      'pipelines/cycle/metadata.yaml': {
        blocks: [
          { uuid: 'a', upstream_blocks: ['b'] },
          { uuid: 'b', upstream_blocks: ['a'] },
          { uuid: 'c', upstream_blocks: ['ghost'] },
        ],
      },
      'pipelines/mixed/metadata.yaml': {
        blocks: [
          { uuid: 'local', executor_type: 'local_python_force' },
          { uuid: 'bad_key', executor_config: { pod: { node_selectr: {} } } },
        ],
      },
      'pipelines/renders/metadata.yaml': {
        blocks: [{ uuid: 'big', executor_config: { job_name_prefix: 'X' } }, { uuid: 'ok' }],
      },
    });
    const problems = lines(dir, { K8S_EXECUTOR_MAX_RESOURCE_LIMITS_CPU: '2' });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^error: <p>\/pipelines\/broken_yaml\/metadata.yaml: invalid YAML: line 2/),
        'error: <p>/pipelines/cycle/metadata.yaml: blocks[2].upstream_blocks[0]: unknown block "ghost"; expected the uuid of a block of this pipeline (line 10)',
        'error: <p>/pipelines/cycle/metadata.yaml: blocks: the blocks form a cycle: a → b → a; a pipeline must be a DAG (line 1)',
        expect.stringMatching(
          /^error: <p>\/pipelines\/mixed\/metadata.yaml: blocks\[1\].executor_config.pod.node_selectr: unknown key "node_selectr"/,
        ),
        expect.stringMatching(
          /^error: <p>\/pipelines\/mixed\/metadata.yaml: blocks\[0\].executor_type: block "local" runs with executor type "local_python_force"/,
        ),
        expect.stringMatching(
          /^error: <p>\/pipelines\/renders\/metadata.yaml: blocks\[0\].executor_config.job_name_prefix: "X" cannot be part of a Job name/,
        ),
        'error: <p>/metadata.yaml: k8s_executor_config.resource_limits.cpu: cpu limits "4" is above the maximum "2" set by K8S_EXECUTOR_MAX_RESOURCE_LIMITS_CPU',
      ]),
    );
    // The project-level guardrail problem is found once per rendered block but reported once.
    expect(problems.filter((line) => line.includes('above the maximum'))).toHaveLength(1);
  });

  it('reports blocks that cannot run here', () => {
    const dir = writeTree({
      'metadata.yaml': { k8s_executor_config: { container: { image: 'x:1' } } },
      'pipelines/p/metadata.yaml': { blocks: [{ uuid: 'a', executor_type: 'local_python_force' }] },
    });
    expect(lines(dir)).toEqual([
      expect.stringMatching(
        /^error: <p>\/pipelines\/p\/metadata.yaml: blocks\[0\].executor_type: block "a" runs with executor type "local_python_force"/,
      ),
    ]);
  });

  it('reports template and policy problems', () => {
    const template = writeYaml({ pod: { tolerations: 'all' } });
    const policy = writeYaml({ enforce: 'always' });
    const problems = validateProject(
      example,
      { K8S_CONFIG_FILE: template, K8S_DEFAULT_CONFIG_PATH: policy },
      OPTIONS,
    ).map(formatProblem);
    expect(problems).toEqual([
      `error: ${template}: pod.tolerations: expected a list, got a string (line 2)`,
      `error: ${policy}: enforce: expected true or false, got a string (line 1)`,
    ]);
    expect(validateProject(example, { K8S_CONFIG_FILE: '/missing.yaml' }, OPTIONS).map(formatProblem)).toEqual([
      'error: /missing.yaml: file not found (expected a readable file)',
    ]);
  });

  it('warns about a missing image unless a server pod is given', () => {
    const dir = writeTree({ 'metadata.yaml': {}, 'pipelines/p/metadata.yaml': { blocks: [{ uuid: 'a' }] } });
    expect(validateProject(dir, {}, OPTIONS)).toEqual([
      expect.objectContaining({ severity: 'warning', keyPath: 'blocks[0].executor_config.container.image' }),
    ]);
    expect(
      validateProject(dir, {}, { ...OPTIONS, serverPod: { spec: { containers: [{ name: 'm', image: 'm:1' }] } } }),
    ).toEqual([]);
  });

  it('reports enforced policy overrides as warnings, and as errors with strict_conflicts', () => {
    const policy = (strict: boolean) =>
      writeYaml({ enforce: true, strict_conflicts: strict, service_account_name: 'locked' });
    expect(
      validateProject(example, { K8S_DEFAULT_CONFIG_PATH: policy(false) }, OPTIONS).map((p) => [p.severity, p.keyPath]),
    ).toEqual([['warning', 'k8s_executor_config.service_account_name']]);
    expect(
      validateProject(example, { K8S_DEFAULT_CONFIG_PATH: policy(true) }, OPTIONS).map((p) => [p.severity, p.keyPath]),
    ).toEqual([['error', 'k8s_executor_config.service_account_name']]);
  });
});
