import { describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { effectiveExecutorType } from '../../../src/project/executor-type.ts';
import { loadProject } from '../../../src/project/load-project.ts';
import { loadRenderContext } from '../../../src/render/context.ts';
import { planBlockJob, renderBlockJob } from '../../../src/render/render-block-job.ts';
import { problemsOf, render, renderProblems, scenarioProject, writeTree } from '../support/mage-project.ts';

describe('renderBlockJob', () => {
  it("renders the hardcoded defaults and Mage's command", () => {
    const { job, name, namespace, warnings } = render({});
    expect(warnings).toEqual([]);
    expect(name).toBe('mage-data-prep-block-42');
    expect(namespace).toBe('default');
    const labels = {
      'app.kubernetes.io/managed-by': 'kubedispatch',
      'kubedispatch.io/instance': 'kd',
      'kubedispatch.io/pipeline': 'etl',
      'kubedispatch.io/block': 'run_me',
      'kubedispatch.io/pipeline-run-id': '7',
      'kubedispatch.io/block-run-id': '42',
      'kubedispatch.io/trigger': '',
      'kubedispatch.io/attempt': '1',
    };
    const annotations = {
      'kubedispatch.io/pipeline': 'etl',
      'kubedispatch.io/block': 'run_me',
      'kubedispatch.io/trigger': '',
    };
    expect(job).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, namespace: 'default', labels, annotations },
      spec: {
        backoffLimit: 0,
        template: {
          metadata: { labels, annotations },
          spec: {
            restartPolicy: 'Never',
            serviceAccountName: 'default',
            containers: [
              {
                name: 'mage-job-container',
                image: 'server-image:1',
                imagePullPolicy: 'IfNotPresent',
                command: [
                  '/app/run_app.sh',
                  'mage',
                  'run',
                  expect.stringMatching(/kd-project-/),
                  'etl',
                  '--block-uuid',
                  'run_me',
                  '--executor-type',
                  'local_python',
                  '--execution-partition',
                  'manual/20260101T000000_000000_7',
                  '--runtime-vars',
                  '{"env":"prod"}',
                ],
              },
            ],
          },
        },
      },
    });
  });

  it('is pure: same inputs, same Job, inputs untouched', () => {
    const project = loadProject(scenarioProject({ project: { container: { env: [{ name: 'A', value: '1' }] } } }));
    const context = loadRenderContext({}, { queuePrefix: 'kd' });
    const snapshot = JSON.stringify(project);
    const ids = { pipelineRunId: 1, blockRunId: 2, attempt: 1, executionPartition: 'manual/x_1', runtimeVariables: {} };
    const serverless = { ...context, serverPod: { spec: { containers: [{ name: 'c', image: 'i' }] } } };
    expect(renderBlockJob(serverless, project, 'etl', 'run_me', ids)).toEqual(
      renderBlockJob(serverless, project, 'etl', 'run_me', ids),
    );
    expect(JSON.stringify(project)).toBe(snapshot);
  });

  it('starts Job names with MAGE_CLUSTER_UUID (default mage) and refuses one no Job name can start with', () => {
    expect(render({ env: { MAGE_CLUSTER_UUID: 'blue' } }).name).toBe('blue-data-prep-block-42');
    expect(render({ env: { MAGE_CLUSTER_UUID: '' } }).name).toBe('mage-data-prep-block-42');
    expect(problemsOf(() => loadRenderContext({ MAGE_CLUSTER_UUID: 'Blue_Cluster' }, { queuePrefix: 'kd' }))).toEqual([
      expect.objectContaining({
        severity: 'error',
        file: 'environment',
        keyPath: 'MAGE_CLUSTER_UUID',
        message: expect.stringMatching(/"Blue_Cluster" cannot start a Job name/),
      }),
    ]);
  });

  it('names later attempts apart and carries the trigger', () => {
    const { name, job } = render({
      project: { job_name_prefix: 'etl-{trigger_name}' },
      ids: { attempt: 3, trigger: 'Nightly Run' },
    });
    expect(name).toBe('mage-etl-nightly-run-block-42-a3');
    expect(job.metadata?.labels?.['kubedispatch.io/attempt']).toBe('3');
    expect(job.metadata?.labels?.['kubedispatch.io/trigger']).toMatch(/^Nightly-Run-[0-9a-f]{8}$/);
    expect(job.metadata?.annotations?.['kubedispatch.io/trigger']).toBe('Nightly Run');
  });

  it('refuses a namespace outside kube.namespaces, naming the file that set it; accepts one inside', () => {
    const dir = scenarioProject({ block: { namespace: 'team-b', container: { image: 'x:1' } } });
    const restricted = loadRenderContext({}, { queuePrefix: 'kd', watchedNamespaces: [' team-a ', ''] });
    const problems = planBlockJob(restricted, loadProject(dir), 'etl', 'run_me', {
      pipelineRunId: 1,
      blockRunId: 1,
      attempt: 1,
      executionPartition: 'manual/x_1',
      runtimeVariables: {},
    }).problems;
    expect(problems).toEqual([
      expect.objectContaining({
        severity: 'error',
        file: expect.stringMatching(/etl\/metadata\.yaml$/),
        keyPath: 'blocks[0].executor_config.namespace',
        message: expect.stringMatching(/namespace "team-b" is not watched .*team-a/),
      }),
    ]);
    const allowed = loadRenderContext({}, { queuePrefix: 'kd', watchedNamespaces: ['team-a', 'team-b'] });
    expect(
      planBlockJob(allowed, loadProject(dir), 'etl', 'run_me', {
        pipelineRunId: 1,
        blockRunId: 1,
        attempt: 1,
        executionPartition: 'manual/x_1',
        runtimeVariables: {},
      }).rendered?.namespace,
    ).toBe('team-b');
  });

  it('refuses unknown placeholders in job_name_prefix, naming the file that set it', () => {
    expect(renderProblems({ pipeline: { job_name_prefix: '{pipeline_uuid}' } })).toEqual([
      expect.objectContaining({
        file: expect.stringMatching(/etl\/metadata\.yaml$/),
        keyPath: 'executor_config.job_name_prefix',
        message: expect.stringMatching(/unknown placeholder \{pipeline_uuid\}/),
      }),
    ]);
  });

  it('applies metadata to the Job and its pod template; identity labels cannot be replaced', () => {
    const { job, warnings } = render({
      block: {
        metadata: {
          labels: { team: 'x', 'kubedispatch.io/block': 'fake' },
          annotations: { 'sim.kubedispatch.io/duration': '2s' },
        },
      },
    });
    for (const metadata of [job.metadata, job.spec?.template.metadata]) {
      expect(metadata?.labels).toMatchObject({ team: 'x', 'kubedispatch.io/block': 'run_me' });
      expect(metadata?.annotations).toMatchObject({ 'sim.kubedispatch.io/duration': '2s' });
    }
    expect(warnings).toEqual([
      expect.objectContaining({
        severity: 'warning',
        keyPath: 'blocks[0].executor_config.metadata.labels."kubedispatch.io/block"',
      }),
    ]);
  });

  it('passes the rest of the pod, container and job spec through', () => {
    const { job } = render({
      block: {
        pod: { priority_class_name: 'batch', security_context: { run_as_non_root: true }, restart_policy: 'OnFailure' },
        container: {
          security_context: { read_only_root_filesystem: true },
          env_from: [{ secret_ref: { name: 's' } }],
          working_dir: '/w',
        },
        job: { completions: 1, suspend: false },
      },
    });
    expect(job.spec).toMatchObject({ completions: 1, suspend: false, backoffLimit: 0 });
    expect(job.spec?.template.spec).toMatchObject({
      priorityClassName: 'batch',
      securityContext: { runAsNonRoot: true },
      restartPolicy: 'OnFailure',
    });
    expect(job.spec?.template.spec?.containers[0]).toMatchObject({
      securityContext: { readOnlyRootFilesystem: true },
      envFrom: [{ secretRef: { name: 's' } }],
      workingDir: '/w',
    });
  });

  it('reports unknown pipelines and blocks', () => {
    const project = loadProject(scenarioProject({}));
    const context = loadRenderContext({}, { queuePrefix: 'kd' });
    const ids = { pipelineRunId: 1, blockRunId: 1, attempt: 1, executionPartition: 'manual/x_1', runtimeVariables: {} };
    expect(problemsOf(() => renderBlockJob(context, project, 'nope', 'run_me', ids))[0]?.message).toBe(
      'unknown pipeline "nope"; expected one of: etl',
    );
    expect(problemsOf(() => renderBlockJob(context, project, 'etl', 'nope', ids))[0]?.message).toBe(
      'unknown block "nope"; expected one of: run_me',
    );
    expect(() => renderBlockJob(context, project, 'etl', 'run_me', { ...ids, blockRunId: 0 })).toThrow(RangeError);
  });
});

describe('command', () => {
  it('uses KUBEDISPATCH_PROJECT_PATH as the project path', () => {
    const { job } = render({ env: { KUBEDISPATCH_PROJECT_PATH: '/home/src/demo' } });
    expect(job.spec?.template.spec?.containers[0]?.command?.slice(0, 5)).toEqual([
      '/app/run_app.sh',
      'mage',
      'run',
      '/home/src/demo',
      'etl',
    ]);
  });

  it("passes Mage's run variables as one JSON object (--runtime-vars), values never read as placeholders", () => {
    const runtimeVariables = { day: '2026-11-28', note: 'a "quoted" {value}', n: 5, nested: { list: [1, null] } };
    const command = render({ ids: { runtimeVariables } }).job.spec?.template.spec?.containers[0]?.command ?? [];
    expect(command.slice(-2)).toEqual(['--runtime-vars', JSON.stringify(runtimeVariables)]);
    const custom = render({
      block: { container: { args: ['--vars', '{runtime_vars}', '{execution_partition}'] } },
      ids: { runtimeVariables: { day: 'x' }, executionPartition: '3/20260101T000000' },
    });
    expect(custom.job.spec?.template.spec?.containers[0]?.args).toEqual(['--vars', '{"day":"x"}', '3/20260101T000000']);
  });

  it("appends the attempt's --callback-url to Mage's command only when given, never to a custom command", () => {
    const url = 'http://kd:8080/mage-callback/1/1/abc/api/block_runs/4611686018427387905';
    const command = (ids: Record<string, unknown>) =>
      render({ ids }).job.spec?.template.spec?.containers[0]?.command ?? [];
    expect(command({ callbackUrl: url }).slice(-2)).toEqual(['--callback-url', url]);
    expect(command({ callbackUrl: url, runtimeVariables: { day: 'x' } }).slice(-4)).toEqual([
      '--runtime-vars',
      '{"day":"x"}',
      '--callback-url',
      url,
    ]);
    expect(command({})).not.toContain('--callback-url');
    const custom = render({ block: { container: { command: ['sh', '-c', 'true'] } }, ids: { callbackUrl: url } });
    expect(custom.job.spec?.template.spec?.containers[0]?.command).toEqual(['sh', '-c', 'true']);
  });

  it('fills placeholders in a custom command and args, leaving ${SHELL} variables alone', () => {
    const { job } = render({
      env: { KUBEDISPATCH_PROJECT_PATH: '/p' },
      ids: { trigger: 'hourly', attempt: 2 },
      block: {
        container: {
          command: ['sh', '-c'],
          args: [
            'run {project_path} {pipeline_uuid} {block_uuid} {block_run_id} {pipeline_run_id} {trigger_name} {attempt} ${HOME}',
          ],
        },
      },
    });
    const container = job.spec?.template.spec?.containers[0];
    expect(container?.command).toEqual(['sh', '-c']);
    expect(container?.args).toEqual(['run /p etl run_me 42 7 hourly 2 ${HOME}']);
  });

  it('keeps the image entrypoint when only args are set', () => {
    const container = render({ block: { container: { args: ['--block', '{block_uuid}'] } } }).job.spec?.template.spec
      ?.containers[0];
    expect(container?.command).toBeUndefined();
    expect(container?.args).toEqual(['--block', 'run_me']);
  });

  it('refuses unknown placeholders', () => {
    expect(renderProblems({ project: { container: { command: ['run', '{block}'] } } })).toEqual([
      expect.objectContaining({
        keyPath: 'k8s_executor_config.container.command',
        message: expect.stringMatching(/^unknown placeholder \{block\}; expected one of \{project_path\}/),
      }),
    ]);
  });
});

describe('server pod defaults', () => {
  const serverPod: V1Pod = {
    metadata: { name: 'dispatcher-0' },
    spec: {
      nodeSelector: { pool: 'mage' },
      tolerations: [{ key: 'mage', operator: 'Exists' }],
      imagePullSecrets: [{ name: 'server-registry' }],
      volumes: [
        { name: 'code', persistentVolumeClaim: { claimName: 'code' } },
        { name: 'unused', emptyDir: {} },
        { name: 'kube-api-access-x', projected: { sources: [] } },
      ],
      containers: [
        { name: 'sidecar', image: 'proxy:1' },
        {
          name: 'mage',
          image: 'mage-server:2',
          env: [
            { name: 'A', value: 'server' },
            { name: 'B', value: 'server' },
          ],
          envFrom: [{ configMapRef: { name: 'server-env' } }],
          volumeMounts: [
            { name: 'code', mountPath: '/home/src' },
            { name: 'kube-api-access-x', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
          ],
        },
      ],
    },
  };

  it('takes image, env, envFrom, mounts with their volumes, node selector, tolerations and pull secrets from MAGE_CONTAINER_NAME', () => {
    const { job } = render({
      serverPod,
      env: { MAGE_CONTAINER_NAME: 'mage' },
      block: { container: { env: [{ name: 'B', value: 'mine' }] } },
    });
    const pod = job.spec?.template.spec;
    expect(pod).toMatchObject({
      nodeSelector: { pool: 'mage' },
      tolerations: [{ key: 'mage', operator: 'Exists' }],
      imagePullSecrets: [{ name: 'server-registry' }],
      volumes: [{ name: 'code', persistentVolumeClaim: { claimName: 'code' } }],
    });
    expect(pod?.containers[0]).toMatchObject({
      name: 'mage-job-container',
      image: 'mage-server:2',
      env: [
        { name: 'A', value: 'server' },
        { name: 'B', value: 'mine' },
      ],
      envFrom: [{ configMapRef: { name: 'server-env' } }],
      volumeMounts: [{ name: 'code', mountPath: '/home/src' }],
    });
  });

  it("never passes kubedispatch's own env vars (REDIS_URL, the token, KUBEDISPATCH_*) on to Jobs; the pipeline's own config may set them", () => {
    const own = [
      { name: 'REDIS_URL', value: 'redis://:secret@redis:6379' },
      { name: 'KUBEDISPATCH_AUTH_TOKEN', valueFrom: { secretKeyRef: { name: 'kubedispatch', key: 'token' } } },
      { name: 'KUBEDISPATCH_QUEUE_PREFIX', value: 'kd' },
      { name: 'KUBEDISPATCH_OWN_POD_DEFAULTS', value: 'true' },
    ];
    const leaky: V1Pod = {
      spec: {
        containers: [{ name: 'mage', image: 'mage-server:2', env: [...own, { name: 'MAGE_ENV', value: 'prod' }] }],
      },
    };
    const env = (block?: Record<string, unknown>) =>
      render({ serverPod: leaky, ...(block ? { block } : {}) }).job.spec?.template.spec?.containers[0]?.env;
    expect(env()).toEqual([{ name: 'MAGE_ENV', value: 'prod' }]);
    expect(env({ container: { env: [{ name: 'REDIS_URL', value: 'redis://pipeline-cache:6379' }] } })).toEqual([
      { name: 'MAGE_ENV', value: 'prod' },
      { name: 'REDIS_URL', value: 'redis://pipeline-cache:6379' },
    ]);
  });

  it('uses the first container without MAGE_CONTAINER_NAME', () => {
    expect(render({ serverPod }).job.spec?.template.spec?.containers[0]?.image).toBe('proxy:1');
  });

  it("lets configured values win and configured lists replace the server's whole", () => {
    const { job } = render({
      serverPod,
      env: { MAGE_CONTAINER_NAME: 'mage' },
      project: {
        container_config: { image: 'mine:1', volume_mounts: [{ name: 'code', mount_path: '/code' }] },
        pod: {
          node_selector: { mine: 'yes' },
          tolerations: [],
          image_pull_secrets: 'mine',
          volumes: [{ name: 'code', empty_dir: {} }],
        },
      },
    });
    const pod = job.spec?.template.spec;
    expect(pod).toMatchObject({
      nodeSelector: { mine: 'yes' },
      tolerations: [],
      imagePullSecrets: [{ name: 'mine' }],
      volumes: [{ name: 'code', emptyDir: {} }],
    });
    expect(pod?.containers[0]).toMatchObject({ image: 'mine:1', volumeMounts: [{ name: 'code', mountPath: '/code' }] });
  });

  it('without a server pod, a missing image is a clear error', () => {
    expect(renderProblems({ serverPod: null })).toEqual([
      expect.objectContaining({
        severity: 'error',
        keyPath: 'blocks[0].executor_config.container.image',
        message: expect.stringMatching(/^no image for block "run_me": set container.image/),
      }),
    ]);
    expect(
      render({ serverPod: null, project: { container: { image: 'x:1' } } }).job.spec?.template.spec?.containers[0]
        ?.image,
    ).toBe('x:1');
  });
});

describe('executor selection', () => {
  const cases: [string | null, string | null, string | undefined, string][] = [
    ['k8s', 'local_python', undefined, 'k8s'],
    [null, 'k8s', 'local_python', 'k8s'],
    ['local_python', 'K8S', undefined, 'k8s'],
    [null, null, undefined, 'k8s'],
    [null, null, 'LOCAL_PYTHON', 'local_python'],
    ['', 'local_python', 'ecs', 'ecs'],
    ['local_python_force', 'k8s', undefined, 'local_python_force'],
    [null, 'pyspark', 'k8s', 'pyspark'],
  ];
  it.each(cases)(
    'block %j, pipeline %j, DEFAULT_EXECUTOR_TYPE %j → %s',
    (blockType, pipelineType, defaultType, expected) => {
      const dir = writeTree({
        'metadata.yaml': {},
        'pipelines/p/metadata.yaml': { executor_type: pipelineType, blocks: [{ uuid: 'b', executor_type: blockType }] },
      });
      const pipeline = loadProject(dir).pipelines[0]!;
      expect(
        effectiveExecutorType(
          pipeline.blocks[0]!,
          pipeline,
          defaultType === undefined ? {} : { DEFAULT_EXECUTOR_TYPE: defaultType },
        ),
      ).toBe(expected);
    },
  );

  it('refuses to render a block that does not run on Kubernetes', () => {
    const dir = writeTree({
      'metadata.yaml': {},
      'pipelines/p/metadata.yaml': { blocks: [{ uuid: 'b', executor_type: 'local_python_force' }] },
    });
    expect(
      problemsOf(() =>
        renderBlockJob(loadRenderContext({}, { queuePrefix: 'kd' }), loadProject(dir), 'p', 'b', {
          pipelineRunId: 1,
          blockRunId: 1,
          attempt: 1,
          executionPartition: 'manual/x_1',
          runtimeVariables: {},
        }),
      )[0]?.message,
    ).toMatch(/executor type "local_python_force", which kubedispatch cannot run/);
  });
});
