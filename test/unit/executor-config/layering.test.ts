import { describe, expect, it } from 'vitest';
import { problemsOf, render, renderProblems } from '../support/mage-project.ts';
import type { Scenario } from '../support/mage-project.ts';

/** Each layer sets the scheduler name to its own name, so the rendered value says who won. */
const everyLayer = (policy?: Record<string, unknown>): Scenario => ({
  block: { pod: { scheduler_name: 'block' } },
  pipeline: { pod: { scheduler_name: 'pipeline' } },
  project: { pod: { scheduler_name: 'project' } },
  template: { pod: { scheduler_name: 'template' } },
  ...(policy && { policy: { ...policy, pod: { scheduler_name: 'policy' } } }),
});

function winnerOrder(scenario: Scenario): string[] {
  const order: string[] = [];
  const current: Record<string, unknown> = { ...scenario };
  for (;;) {
    const winner = render(current as Scenario).job.spec?.template.spec?.schedulerName ?? 'default';
    order.push(winner);
    if (winner === 'default') return order;
    delete current[winner];
  }
}

describe('priority of layers', () => {
  it.each([
    ['no policy', everyLayer(), ['block', 'pipeline', 'project', 'template', 'default']],
    [
      'policy enabled: false',
      everyLayer({ enabled: false, enforce: true }),
      ['block', 'pipeline', 'project', 'template', 'default'],
    ],
    [
      'policy enforce: true',
      everyLayer({ enabled: true, enforce: true }),
      ['policy', 'block', 'pipeline', 'project', 'template', 'default'],
    ],
    [
      'policy enforce: false',
      everyLayer({ enabled: true, enforce: false }),
      ['block', 'pipeline', 'project', 'policy', 'template', 'default'],
    ],
  ])('%s', (_name, scenario, expected) => {
    expect(winnerOrder(scenario)).toEqual(expected);
  });

  it('puts env var defaults below the template and above hardcoded defaults', () => {
    const env = { KUBE_NAMESPACE: 'from-env' };
    expect(render({ env, template: { namespace: 'from-template' } }).namespace).toBe('from-template');
    expect(render({ env, policy: { enforce: false, namespace: 'from-policy' } }).namespace).toBe('from-policy');
    expect(render({ env }).namespace).toBe('from-env');
    expect(render({}).namespace).toBe('default');
  });
});

describe('env var defaults', () => {
  const env = {
    KUBE_NAMESPACE: 'my-namespace',
    K8S_EXECUTOR_DEFAULT_RESOURCE_REQUESTS_CPU: '250m',
    K8S_EXECUTOR_DEFAULT_RESOURCE_REQUESTS_MEMORY: '512Mi',
    K8S_EXECUTOR_DEFAULT_RESOURCE_LIMITS_CPU: '500m',
    K8S_EXECUTOR_DEFAULT_RESOURCE_LIMITS_MEMORY: '1Gi',
    K8S_EXECUTOR_DEFAULT_SERVICE_ACCOUNT_NAME: 'default-sa',
  };

  it('apply where nothing else is set', () => {
    const { job, namespace } = render({ env });
    expect(namespace).toBe('my-namespace');
    expect(job.spec?.template.spec?.serviceAccountName).toBe('default-sa');
    expect(job.spec?.template.spec?.containers[0]?.resources).toEqual({
      limits: { cpu: '500m', memory: '1Gi' },
      requests: { cpu: '250m', memory: '512Mi' },
    });
  });

  it('only fill values no higher layer sets, per resource', () => {
    const { job } = render({
      env,
      project: { resource_limits: { cpu: '1000m', memory: '2048Mi' }, service_account_name: 'project-sa' },
      block: { resource_requests: { cpu: '400m' } },
    });
    expect(job.spec?.template.spec?.serviceAccountName).toBe('project-sa');
    expect(job.spec?.template.spec?.containers[0]?.resources).toEqual({
      limits: { cpu: '1000m', memory: '2048Mi' },
      requests: { cpu: '400m', memory: '512Mi' },
    });
  });

  it('reject values that are not quantities or names', () => {
    expect(() =>
      render({ env: { K8S_EXECUTOR_DEFAULT_RESOURCE_LIMITS_CPU: 'lots', KUBE_NAMESPACE: 'Bad_NS' } }),
    ).toThrow(
      /error: environment: KUBE_NAMESPACE: "Bad_NS" is not valid.*\n.*error: environment: K8S_EXECUTOR_DEFAULT_RESOURCE_LIMITS_CPU: "lots" is not a resource quantity/,
    );
  });
});

describe('merge rules', () => {
  it('merges maps deeply', () => {
    const { job } = render({
      project: { metadata: { labels: { team: 'data', tier: 'low' } }, pod: { node_selector: { a: '1' } } },
      block: { metadata: { labels: { tier: 'high' } }, pod: { node_selector: { b: '2' } } },
    });
    expect(job.metadata?.labels).toMatchObject({ team: 'data', tier: 'high' });
    expect(job.spec?.template.spec?.nodeSelector).toEqual({ a: '1', b: '2' });
  });

  it('merges env, volumes, volume_mounts and image_pull_secrets by name, the higher layer winning per item', () => {
    const { job } = render({
      project: {
        pod: {
          volumes: [
            { name: 'data', empty_dir: {} },
            { name: 'cfg', config_map: { name: 'a' } },
          ],
          image_pull_secrets: ['reg-a', 'reg-b'],
        },
        container: {
          env: [
            { name: 'A', value: 'project' },
            { name: 'B', value: 'project' },
          ],
          volume_mounts: [{ name: 'data', mount_path: '/p' }],
        },
      },
      block: {
        pod: {
          volumes: [{ name: 'cfg', config_map: { name: 'b' } }],
          image_pull_secrets: [{ name: 'reg-b' }, 'reg-c'],
        },
        container: {
          env: [
            { name: 'B', value: 'block' },
            { name: 'C', value: 'block' },
          ],
          volume_mounts: [{ name: 'data', mount_path: '/b' }],
        },
      },
    });
    const pod = job.spec?.template.spec;
    expect(pod?.volumes).toEqual([
      { name: 'data', emptyDir: {} },
      { name: 'cfg', configMap: { name: 'b' } },
    ]);
    expect(pod?.imagePullSecrets).toEqual([{ name: 'reg-a' }, { name: 'reg-b' }, { name: 'reg-c' }]);
    expect(pod?.containers[0]?.env).toEqual([
      { name: 'A', value: 'project' },
      { name: 'B', value: 'block' },
      { name: 'C', value: 'block' },
    ]);
    expect(pod?.containers[0]?.volumeMounts).toEqual([{ name: 'data', mountPath: '/b' }]);
  });

  it('refuses items without a name in every layer instead of losing them in that merge', () => {
    const nameless = { container: { env: [{ value: 'x' }] } };
    const keyPaths = (scenario: Scenario) =>
      problemsOf(() => render(scenario)).map((p) => `${p.keyPath}: ${p.message.replace(/ \(line \d+\)$/, '')}`);
    const expected = (prefix: string) => [
      `${prefix}container.env[0]: an env item needs a name (items of env merge by name)`,
    ];
    expect(keyPaths({ block: nameless })).toEqual(expected('blocks[0].executor_config.'));
    expect(keyPaths({ project: nameless })).toEqual(expected('k8s_executor_config.'));
    expect(keyPaths({ template: nameless })).toEqual(expected(''));
    expect(keyPaths({ policy: { enforce: true, ...nameless } })).toEqual(expected(''));
  });

  it('replaces other lists whole: tolerations, command, args, affinity terms', () => {
    const term = (value: string) => ({ match_expressions: [{ key: 'k', operator: 'In', values: [value] }] });
    const { job } = render({
      project: {
        pod: {
          tolerations: [
            { key: 'a', operator: 'Exists' },
            { key: 'b', operator: 'Exists' },
          ],
          affinity: {
            node_affinity: {
              required_during_scheduling_ignored_during_execution: { node_selector_terms: [term('p1'), term('p2')] },
            },
          },
        },
        container: { command: ['a', 'b'], args: ['x', 'y', 'z'] },
      },
      block: {
        pod: {
          tolerations: [{ key: 'c', operator: 'Exists' }],
          affinity: {
            node_affinity: {
              required_during_scheduling_ignored_during_execution: { node_selector_terms: [term('b1')] },
            },
          },
        },
        container: { command: ['c'], args: ['w'] },
      },
    });
    const pod = job.spec?.template.spec;
    expect(pod?.tolerations).toEqual([{ key: 'c', operator: 'Exists' }]);
    expect(pod?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'k', operator: 'In', values: ['b1'] }] },
    ]);
    expect(pod?.containers[0]?.command).toEqual(['c']);
    expect(pod?.containers[0]?.args).toEqual(['w']);
  });

  it('merges different affinity kinds from different layers', () => {
    const { job } = render({
      project: {
        pod: {
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                { topologyKey: 'h', labelSelector: { matchLabels: { app: 'x' } } },
              ],
            },
          },
        },
      },
      block: {
        pod: {
          affinity: {
            nodeAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, preference: { matchExpressions: [{ key: 'z', operator: 'In', values: ['a'] }] } },
              ],
            },
          },
        },
      },
    });
    expect(Object.keys(job.spec?.template.spec?.affinity ?? {}).sort()).toEqual(['nodeAffinity', 'podAntiAffinity']);
  });
});

describe('policy conflicts', () => {
  const enforced = (strict: boolean) => ({
    enabled: true,
    enforce: true,
    strict_conflicts: strict,
    resource_limits: { cpu: '500m' },
    service_account_name: 'enforced-sa',
  });

  it('with strict_conflicts, a differing user value is an error naming the key, both values and both files', () => {
    const problems = renderProblems({
      policy: enforced(true),
      block: { resource_limits: { cpu: '2' } },
      project: { service_account_name: 'enforced-sa' },
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      severity: 'error',
      file: expect.stringMatching(/pipelines\/etl\/metadata\.yaml$/),
      keyPath: 'blocks[0].executor_config.resource_limits.cpu',
      message: expect.stringMatching(
        /^conflicts with the enforced policy \("2" here, "500m" in the policy \/.*file\.yaml\)/,
      ),
    });
  });

  it('without strict_conflicts, the policy wins and a warning says so', () => {
    const { job, warnings } = render({ policy: enforced(false), project: { resource_limits: { cpu: '2' } } });
    expect(job.spec?.template.spec?.containers[0]?.resources?.limits).toEqual({ cpu: '500m' });
    expect(warnings).toEqual([
      expect.objectContaining({
        severity: 'warning',
        keyPath: 'k8s_executor_config.resource_limits.cpu',
        message: expect.stringMatching(/^overridden by the enforced policy/),
      }),
    ]);
  });

  it('are not reported when the policy only fills gaps or is disabled', () => {
    expect(
      render({ policy: { ...enforced(true), enforce: false }, block: { resource_limits: { cpu: '2' } } }).warnings,
    ).toEqual([]);
    expect(
      render({ policy: { ...enforced(true), enabled: false }, block: { resource_limits: { cpu: '2' } } }).warnings,
    ).toEqual([]);
  });

  it('compare resource amounts as quantities, not as text', () => {
    const policy = (strict: boolean) => ({
      enforce: true,
      strict_conflicts: strict,
      resource_limits: { memory: '1Gi', cpu: '0.5' },
    });
    const same = { resource_limits: { memory: '1024Mi', cpu: '500m' } };
    expect(renderProblems({ policy: policy(true), project: same })).toEqual([]);
    expect(render({ policy: policy(false), project: same }).warnings).toEqual([]);
    expect(renderProblems({ policy: policy(true), project: { resource_limits: { memory: '1G' } } })).toEqual([
      expect.objectContaining({ severity: 'error', keyPath: 'k8s_executor_config.resource_limits.memory' }),
    ]);
  });

  it('compare named items one by one', () => {
    const policy = { enforce: true, strict_conflicts: true, container: { env: [{ name: 'REGION', value: 'eu' }] } };
    expect(
      renderProblems({
        policy,
        block: {
          container: {
            env: [
              { name: 'OTHER', value: 'x' },
              { name: 'REGION', value: 'eu' },
            ],
          },
        },
      }),
    ).toEqual([]);
    expect(renderProblems({ policy, block: { container: { env: [{ name: 'REGION', value: 'us' }] } } })).toEqual([
      expect.objectContaining({ keyPath: 'blocks[0].executor_config.container.env[0]' }),
    ]);
  });
});

describe('guardrails', () => {
  const max = {
    K8S_EXECUTOR_MAX_RESOURCE_LIMITS_CPU: '2',
    K8S_EXECUTOR_MAX_RESOURCE_LIMITS_MEMORY: '1Gi',
    K8S_EXECUTOR_MAX_RESOURCE_REQUESTS_CPU: '1e3',
    K8S_EXECUTOR_MAX_RESOURCE_REQUESTS_MEMORY: '1G',
  };

  it.each([
    [{ cpu: '2000m' }, {}, []],
    [{ cpu: '2001m' }, {}, ['cpu limits "2001m" is above the maximum "2" set by K8S_EXECUTOR_MAX_RESOURCE_LIMITS_CPU']],
    [{ memory: '1Gi' }, { memory: '1G' }, []],
    [
      { memory: '1.1G' },
      {},
      ['memory limits "1.1G" is above the maximum "1Gi" set by K8S_EXECUTOR_MAX_RESOURCE_LIMITS_MEMORY'],
    ],
    [
      {},
      { memory: '1Gi' },
      ['memory requests "1Gi" is above the maximum "1G" set by K8S_EXECUTOR_MAX_RESOURCE_REQUESTS_MEMORY'],
    ],
    [
      {},
      { cpu: '1001' },
      ['cpu requests "1001" is above the maximum "1e3" set by K8S_EXECUTOR_MAX_RESOURCE_REQUESTS_CPU'],
    ],
  ])('limits %j, requests %j', (limits, requests, expected) => {
    const problems = renderProblems({ env: max, block: { resource_limits: limits, resource_requests: requests } });
    expect(problems.map((p) => p.message)).toEqual(expected);
  });

  it('point at the layer that set the value, env defaults included', () => {
    const [fromBlock] = renderProblems({
      env: max,
      project: { resource_limits: { cpu: '1' } },
      block: { resource_limits: { cpu: '3' } },
    });
    expect(fromBlock?.keyPath).toBe('blocks[0].executor_config.resource_limits.cpu');
    const [fromEnv] = renderProblems({ env: { ...max, K8S_EXECUTOR_DEFAULT_RESOURCE_LIMITS_CPU: '4' } });
    expect(fromEnv).toMatchObject({ file: 'environment', keyPath: 'K8S_EXECUTOR_DEFAULT_RESOURCE_LIMITS_CPU' });
    const [requestFromEnv] = renderProblems({
      env: { K8S_EXECUTOR_DEFAULT_RESOURCE_REQUESTS_MEMORY: '2Gi' },
      block: { resource_limits: { memory: '1Gi' } },
    });
    expect(requestFromEnv).toMatchObject({
      file: 'environment',
      keyPath: 'K8S_EXECUTOR_DEFAULT_RESOURCE_REQUESTS_MEMORY',
    });
  });

  it('reject a bad maximum', () => {
    expect(() => render({ env: { K8S_EXECUTOR_MAX_RESOURCE_LIMITS_CPU: 'two' } })).toThrow(
      /K8S_EXECUTOR_MAX_RESOURCE_LIMITS_CPU: "two" is not a resource quantity/,
    );
  });

  it('refuse a request above its limit', () => {
    expect(
      renderProblems({ block: { resource_limits: { cpu: '500m' }, resource_requests: { cpu: '1' } } }).map(
        (p) => p.message,
      ),
    ).toEqual(['cpu request "1" is above its limit "500m"; expected a request at most the limit']);
  });

  // 700 × 0.001 is 0.7000000000000001 in floating point; quantities are compared exactly.
  it('compare equal quantities in different notations as equal', () => {
    expect(
      renderProblems({
        env: { K8S_EXECUTOR_MAX_RESOURCE_LIMITS_CPU: '0.7' },
        block: { resource_limits: { cpu: '700m' } },
      }),
    ).toEqual([]);
    expect(
      renderProblems({
        env: { K8S_EXECUTOR_MAX_RESOURCE_LIMITS_MEMORY: '1Gi' },
        block: { resource_limits: { memory: '1024Mi' } },
      }),
    ).toEqual([]);
    expect(renderProblems({ block: { resource_limits: { cpu: '0.7' }, resource_requests: { cpu: '700m' } } })).toEqual(
      [],
    );
    expect(
      renderProblems({
        env: { K8S_EXECUTOR_MAX_RESOURCE_LIMITS_CPU: '0.7' },
        block: { resource_limits: { cpu: '701m' } },
      }).map((p) => p.message),
    ).toEqual(['cpu limits "701m" is above the maximum "0.7" set by K8S_EXECUTOR_MAX_RESOURCE_LIMITS_CPU']);
  });
});
