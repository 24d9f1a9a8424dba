import { describe, expect, it } from 'vitest';
import { ProblemList } from '../../../src/errors/config-problem.ts';
import { parseExecutorConfig, parsePolicy } from '../../../src/executor-config/parse-config.ts';
import { parseYaml } from '../../../src/input/safe-yaml.ts';

function parse(yaml: string) {
  const problems = new ProblemList();
  const config = parseExecutorConfig(parseYaml(yaml, 'c.yaml'), 'c.yaml', 'k8s_executor_config', problems);
  return { config, problems: problems.items.map((p) => `${p.severity} ${p.keyPath}: ${p.message}`) };
}

function parseOk(yaml: string) {
  const { config, problems } = parse(yaml);
  expect(problems).toEqual([]);
  return config;
}

describe('executor config keys', () => {
  it('accepts snake_case and camelCase and converts nested API keys to camelCase', () => {
    const config = parseOk(`
pod:
  volumes:
    - name: data
      persistent_volume_claim: {claim_name: pvc, read_only: true}
    - name: cfg
      configMap: {name: cm, default_mode: 420}
  imagePullSecrets: [a]
  host_ipc: false
  security_context: {run_as_user: 1000, fs_group: 2000}
container:
  volume_mounts: [{name: data, mount_path: /data, read_only: true}]
  env_from: [{config_map_ref: {name: env-cm}}]
  securityContext: {allow_privilege_escalation: false}
`);
    expect(config).toEqual({
      pod: {
        volumes: [
          { name: 'data', persistentVolumeClaim: { claimName: 'pvc', readOnly: true } },
          { name: 'cfg', configMap: { name: 'cm', defaultMode: 420 } },
        ],
        imagePullSecrets: [{ name: 'a' }],
        hostIPC: false,
        securityContext: { runAsUser: 1000, fsGroup: 2000 },
      },
      container: {
        volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }],
        envFrom: [{ configMapRef: { name: 'env-cm' } }],
        securityContext: { allowPrivilegeEscalation: false },
      },
    });
  });

  it('keeps data keys verbatim: labels, annotations, node selector, resources, matchLabels', () => {
    const config = parseOk(`
metadata:
  labels: {app_name: x, example.com/team_name: data}
  annotations: {sim.kubedispatch.io/duration: 2s, some_key: v}
pod:
  node_selector: {node_type: gpu, topology.kubernetes.io/zone: a}
  affinity:
    pod_anti_affinity:
      required_during_scheduling_ignored_during_execution:
        - label_selector: {match_labels: {app_name: mage}}
          topology_key: kubernetes.io/hostname
resource_limits: {nvidia.com/gpu: 1, example.com/ephemeral_storage_x: 1}
`);
    expect(config?.metadata).toEqual({
      labels: { app_name: 'x', 'example.com/team_name': 'data' },
      annotations: { 'sim.kubedispatch.io/duration': '2s', some_key: 'v' },
    });
    expect(config?.pod?.nodeSelector).toEqual({ node_type: 'gpu', 'topology.kubernetes.io/zone': 'a' });
    expect(config?.pod?.affinity).toEqual({
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: { matchLabels: { app_name: 'mage' } }, topologyKey: 'kubernetes.io/hostname' },
        ],
      },
    });
    expect(config?.container?.resources?.limits).toEqual({
      'nvidia.com/gpu': '1',
      'example.com/ephemeral_storage_x': '1',
    });
  });

  it('reports unknown keys with their path and the allowed keys', () => {
    const { problems } = parse('pod:\n  node_selectr: {a: b}\ncontainer:\n  resources: {limitz: {}}\nfoo: 1\n');
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(
      /^error k8s_executor_config\.pod\.node_selectr: unknown key "node_selectr"; expected one of \(snake_case or camelCase\): .*node_selector.*tolerations/,
    );
    expect(problems[1]).toMatch(
      /^error k8s_executor_config\.container\.resources\.limitz: unknown key "limitz"; expected one of .*limits, requests/,
    );
    expect(problems[2]).toMatch(
      /^error k8s_executor_config\.foo: unknown key "foo"; expected one of .*namespace, job_name_prefix, service_account_name, resource_limits, resource_requests, metadata, pod, container, container_config, job$/,
    );
  });

  it('refuses the same key written twice in both spellings', () => {
    expect(parse('pod:\n  node_selector: {a: b}\n  nodeSelector: {c: d}\n').problems).toEqual([
      'error k8s_executor_config.pod.nodeSelector: "nodeSelector" sets the same key as "node_selector"; write it once',
    ]);
  });

  it.each([
    ['wrong type for a mapping', 'pod: [1]', 'error k8s_executor_config.pod: expected a mapping, got a list'],
    [
      'wrong type for a number',
      'job: {backoff_limit: "3"}',
      'error k8s_executor_config.job.backoff_limit: expected a whole number from 0 to 2147483647, got a string',
    ],
    [
      'fraction for an integer',
      'job: {active_deadline_seconds: 1.5}',
      'error k8s_executor_config.job.active_deadline_seconds: expected a whole number ≥ 0, got the number 1.5',
    ],
    [
      'wrong type for a list',
      'pod: {tolerations: {key: a}}',
      'error k8s_executor_config.pod.tolerations: expected a list, got a mapping',
    ],
    [
      'wrong type for a boolean',
      'container: {tty: "yes"}',
      'error k8s_executor_config.container.tty: expected true or false, got a string',
    ],
    [
      'bad quantity',
      'resource_limits: {cpu: lots}',
      'error k8s_executor_config.resource_limits.cpu: not a resource quantity: expected a Kubernetes quantity such as 500m, 2, 1.5, 512Mi, 1Gi, 1G or 1e3',
    ],
    [
      'negative quantity',
      'container: {resources: {requests: {memory: -1Gi}}}',
      'error k8s_executor_config.container.resources.requests.memory: not a resource quantity: expected a Kubernetes quantity such as 500m, 2, 1.5, 512Mi, 1Gi, 1G or 1e3',
    ],
    [
      'invalid namespace',
      'namespace: My_NS',
      /^error k8s_executor_config\.namespace: invalid value: expected a DNS-1123 label/,
    ],
    [
      'invalid container name',
      'container: {name: Mage Job}',
      /^error k8s_executor_config\.container\.name: invalid value: expected a DNS-1123 label/,
    ],
    [
      'invalid service account',
      'service_account_name: "-sa"',
      /^error k8s_executor_config\.service_account_name: invalid value: expected a service account name: a DNS-1123 subdomain/,
    ],
    [
      'invalid label value',
      'metadata: {labels: {team: "a b"}}',
      /^error k8s_executor_config\.metadata\.labels\.team: invalid value: expected a label value/,
    ],
    [
      'invalid label key',
      'metadata: {labels: {"bad key": x}}',
      /^error k8s_executor_config\.metadata\.labels\."bad key": invalid key/,
    ],
    [
      'invalid resource name',
      'resource_limits: {"gpu!": 1}',
      /^error k8s_executor_config\.resource_limits\."gpu!": invalid key/,
    ],
    [
      'invalid volume name',
      'pod: {volumes: [{name: Data, empty_dir: {}}]}',
      /^error k8s_executor_config\.pod\.volumes\[0\]\.name: invalid value/,
    ],
    [
      'invalid image pull policy',
      'container: {image_pull_policy: Sometimes}',
      'error k8s_executor_config.container.image_pull_policy: invalid value: expected one of Always, IfNotPresent, Never',
    ],
    [
      'restart policy a Job cannot have',
      'pod: {restart_policy: Always}',
      'error k8s_executor_config.pod.restart_policy: invalid value: expected one of Never, OnFailure',
    ],
    [
      'bad image pull secret',
      'pod: {image_pull_secrets: [{secret: x}]}',
      'error k8s_executor_config.pod.image_pull_secrets[0]: expected a secret name (string) or {name: <secret name>}, got a mapping',
    ],
    [
      'prototype key in a data map',
      'metadata: {labels: {__proto__: x}}',
      'error k8s_executor_config.metadata.labels.__proto__: "__proto__" is not allowed as a key',
    ],
    ['not a mapping at all', '"just text"', 'error k8s_executor_config: expected a mapping, got a string'],
    // env, volumes, volume_mounts and image_pull_secrets merge by name: every item needs its own.
    [
      'no item name in env',
      'container: {env: [{name: A, value: "1"}, {value: "2"}]}',
      'error k8s_executor_config.container.env[1]: an env item needs a name (items of env merge by name)',
    ],
    [
      'no item name in container_config.env',
      'container_config: {env: [{value: "2"}]}',
      'error k8s_executor_config.container_config.env[0]: an env item needs a name (items of env merge by name)',
    ],
    [
      'an empty item name in env',
      'container: {env: [{name: "", value: "2"}]}',
      'error k8s_executor_config.container.env[0]: an env item needs a name (items of env merge by name)',
    ],
    [
      'no item name in volume_mounts',
      'container: {volume_mounts: [{mount_path: /data}]}',
      'error k8s_executor_config.container.volume_mounts[0]: a volume_mounts item needs a name (items of volume_mounts merge by name)',
    ],
    [
      'no item name in volumes',
      'pod: {volumes: [{empty_dir: {}}]}',
      'error k8s_executor_config.pod.volumes[0]: a volumes item needs a name (items of volumes merge by name)',
    ],
    [
      'an item name twice in env',
      'container: {env: [{name: A, value: "1"}, {name: B, value: "1"}, {name: A, value: "2"}]}',
      'error k8s_executor_config.container.env[2]: the name "A" is also used by env[0]; expected each env item to have its own name (items of env merge by name)',
    ],
    [
      'an item name twice in volume_mounts',
      'container: {volume_mounts: [{name: v, mount_path: /a}, {name: v, mount_path: /b}]}',
      'error k8s_executor_config.container.volume_mounts[1]: the name "v" is also used by volume_mounts[0]; expected each volume_mounts item to have its own name (items of volume_mounts merge by name)',
    ],
    [
      'an item name twice in volumes',
      'pod: {volumes: [{name: v, empty_dir: {}}, {name: v, empty_dir: {}}]}',
      'error k8s_executor_config.pod.volumes[1]: the name "v" is also used by volumes[0]; expected each volumes item to have its own name (items of volumes merge by name)',
    ],
    [
      'an item name twice in image_pull_secrets',
      'pod: {image_pull_secrets: [s, {name: s}]}',
      'error k8s_executor_config.pod.image_pull_secrets[1]: the name "s" is also used by image_pull_secrets[0]; expected each image_pull_secrets item to have its own name (items of image_pull_secrets merge by name)',
    ],
  ])('%s', (_name, yaml, expected) => {
    const { config, problems } = parse(yaml);
    expect(config).toBeUndefined();
    expect(problems).toHaveLength(1);
    if (typeof expected === 'string') expect(problems[0]).toBe(expected);
    else expect(problems[0]).toMatch(expected);
  });

  it('reads YAML scalars as the strings the API wants', () => {
    const config = parseOk(
      'container: {env: [{name: N, value: 1}, {name: B, value: true}]}\nmetadata: {labels: {version: 2}}\n',
    );
    expect(config?.container?.env).toEqual([
      { name: 'N', value: '1' },
      { name: 'B', value: 'true' },
    ]);
    expect(config?.metadata?.labels).toEqual({ version: '2' });
  });

  it.each([
    ['a string', 'my-registry-secret', [{ name: 'my-registry-secret' }]],
    ['a list of strings', '[a, b]', [{ name: 'a' }, { name: 'b' }]],
    ['a list of {name}', '[{name: a}]', [{ name: 'a' }]],
  ])('image_pull_secrets as %s renders as a list of {name}', (_name, yaml, expected) => {
    expect(parseOk(`pod: {image_pull_secrets: ${yaml}}`)?.pod?.imagePullSecrets).toEqual(expected);
  });
});

describe('lists merged by name', () => {
  it('report a name of the wrong type once, as a type error', () => {
    expect(parse('container: {env: [{name: [A], value: "1"}]}').problems).toEqual([
      'error k8s_executor_config.container.env[0].name: expected a string, got a list',
    ]);
  });

  it('allow the same name in container and container_config, which overlay each other', () => {
    expect(
      parseOk('container: {env: [{name: A, value: "1"}]}\ncontainer_config: {env: [{name: A, value: "2"}]}')?.container
        ?.env,
    ).toEqual([{ name: 'A', value: '2' }]);
  });

  it("leave init containers' lists to the API: they are replaced whole, never merged by name", () => {
    expect(
      parseOk('pod: {init_containers: [{name: i, env: [{name: A, value: "1"}, {name: A, value: "2"}]}]}')?.pod
        ?.initContainers,
    ).toHaveLength(1);
  });

  it('apply to policy files too', () => {
    const problems = new ProblemList();
    expect(
      parsePolicy(parseYaml('enforce: true\ncontainer: {env: [{value: x}]}', 'p.yaml'), 'p.yaml', problems),
    ).toBeUndefined();
    expect(problems.items).toEqual([
      {
        severity: 'error',
        file: 'p.yaml',
        keyPath: 'container.env[0]',
        message: 'an env item needs a name (items of env merge by name)',
      },
    ]);
  });
});

describe('folding within one layer', () => {
  it('overlays container_config on container, merging env by name', () => {
    const config = parseOk(`
container: {name: c, image: a:1, env: [{name: X, value: "1"}, {name: Y, value: "1"}]}
container_config: {image: b:2, env: [{name: Y, value: "2"}]}
`);
    expect(config?.container).toEqual({
      name: 'c',
      image: 'b:2',
      env: [
        { name: 'X', value: '1' },
        { name: 'Y', value: '2' },
      ],
    });
  });

  it('lets top-level service_account_name beat pod.service_account_name', () => {
    expect(parseOk('service_account_name: top\npod: {service_account_name: inner}')?.pod?.serviceAccountName).toBe(
      'top',
    );
    expect(parseOk('pod: {service_account_name: inner}')?.pod?.serviceAccountName).toBe('inner');
  });

  it('merges top-level resources into container.resources per resource, top-level winning', () => {
    const config = parseOk(`
resource_limits: {cpu: "2"}
resource_requests: {memory: 1Gi}
container: {resources: {limits: {cpu: "1", memory: 2Gi}, requests: {cpu: 500m}}}
`);
    expect(config?.container?.resources).toEqual({
      limits: { cpu: '2', memory: '2Gi' },
      requests: { cpu: '500m', memory: '1Gi' },
    });
  });

  it('treats namespace and metadata.namespace as one setting', () => {
    expect(parseOk('metadata: {namespace: a}')?.namespace).toBe('a');
    expect(parseOk('namespace: a\nmetadata: {namespace: a}')?.namespace).toBe('a');
    expect(parse('namespace: a\nmetadata: {namespace: b}').problems).toEqual([
      'error k8s_executor_config.namespace: namespace "a" and metadata.namespace "b" are the same setting with different values; set one of them',
    ]);
  });
});

describe('parsePolicy', () => {
  function policy(yaml: string) {
    const problems = new ProblemList();
    return { policy: parsePolicy(parseYaml(yaml, 'policy.yaml'), 'policy.yaml', problems), problems: problems.items };
  }

  it('reads the reference file format', () => {
    const { policy: parsed, problems } = policy(`
enabled: true
enforce: true
resource_limits: {cpu: "500m", memory: "1Gi"}
resource_requests: {cpu: "250m", memory: "512Mi"}
service_account_name: default
pod: {node_selector: {node-type: compute}, tolerations: [], volumes: []}
container: {env: [], volume_mounts: []}
`);
    expect(problems).toEqual([]);
    expect(parsed).toEqual({
      file: 'policy.yaml',
      enabled: true,
      enforce: true,
      strictConflicts: false,
      config: {
        pod: { nodeSelector: { 'node-type': 'compute' }, tolerations: [], volumes: [], serviceAccountName: 'default' },
        container: {
          env: [],
          volumeMounts: [],
          resources: { limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '250m', memory: '512Mi' } },
        },
      },
    });
  });

  it('defaults to enabled, not enforced, no strict conflicts', () => {
    expect(policy('pod: {scheduler_name: s}').policy).toMatchObject({
      enabled: true,
      enforce: false,
      strictConflicts: false,
    });
    expect(policy('').policy).toMatchObject({ enabled: true, config: {} });
  });

  it('reports wrong flag types and unknown keys', () => {
    expect(policy('enforce: "yes"\nenabled_x: true').problems.map((p) => p.keyPath)).toEqual(['enforce', 'enabled_x']);
  });
});
