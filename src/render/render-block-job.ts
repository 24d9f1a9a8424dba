import type { V1Job } from '@kubernetes/client-node';
import { ConfigError } from '../errors/config-problem.ts';
import type { ConfigProblem } from '../errors/config-problem.ts';
import { effectiveExecutorType, KUBERNETES_EXECUTOR } from '../project/executor-type.ts';
import { DEFAULT_CONTAINER_NAME, DEFAULT_NAMESPACE } from '../executor-config/hardcoded-defaults.ts';
import { isDnsLabel } from '../executor-config/k8s-names.ts';
import { locateSetting } from '../executor-config/locate.ts';
import { checkMounts } from '../executor-config/mount-checks.ts';
import { resolveExecutorConfig } from '../executor-config/resolve.ts';
import { userLayers } from '../project/config-layers.ts';
import type { ExecutorConfig } from '../executor-config/types.ts';
import { renderNamespace } from '../mage/mage-templates.ts';
import { findBlock, findPipeline, unknownPipelineMessage } from '../project/model.ts';
import type { Block, Pipeline, Project } from '../project/model.ts';
import { resolveCommand } from './command.ts';
import type { CommandValues } from './command.ts';
import type { RenderContext } from './context.ts';
import { identityAnnotations, identityLabels } from './identity.ts';
import type { BlockRunIds, RunIds } from './identity.ts';
import { jobName } from './job-name.ts';
import { applyServerPodDefaults } from './server-pod.ts';

export interface RenderedJob {
  job: V1Job;
  namespace: string;
  name: string;
  warnings: ConfigProblem[];
}

export interface RenderOptions {
  /**
   * `validate` runs where the dispatcher's pod is unknown: there a missing image is only a warning,
   * because in the cluster the dispatcher's own image fills it in.
   */
  missingImage?: 'error' | 'warning';
}

/** Renders the Job of one block run; throws a ConfigError carrying every problem when any is an error. */
export function renderBlockJob(
  context: RenderContext,
  project: Project,
  pipelineUuid: string,
  blockUuid: string,
  ids: BlockRunIds,
): RenderedJob {
  const { rendered, problems } = planBlockJob(context, project, pipelineUuid, blockUuid, ids);
  if (!rendered || problems.some((problem) => problem.severity === 'error')) throw new ConfigError(problems);
  return rendered;
}

/** Renders the Job of one block run and reports every problem instead of throwing. */
export function planBlockJob(
  context: RenderContext,
  project: Project,
  pipelineUuid: string,
  blockUuid: string,
  ids: BlockRunIds,
  options: RenderOptions = {},
): { rendered?: RenderedJob; problems: ConfigProblem[] } {
  checkIds(ids);
  const pipeline = findPipeline(project, pipelineUuid);
  if (!pipeline)
    return fail(
      project.metadataFile,
      'pipelines',
      unknownPipelineMessage(
        pipelineUuid,
        project.pipelines.map((p) => p.uuid),
      ),
    );
  const block = findBlock(pipeline, blockUuid);
  if (!block)
    return fail(
      pipeline.file,
      'blocks',
      `unknown block "${blockUuid}"; expected one of: ${pipeline.blocks.map((b) => b.uuid).join(', ') || '(none)'}`,
    );
  const executorType = effectiveExecutorType(block, pipeline, context.env);
  if (executorType !== KUBERNETES_EXECUTOR) {
    return fail(
      pipeline.file,
      `${block.keyPath}.executor_type`,
      `block "${block.uuid}" runs with executor type "${executorType}", which kubedispatch cannot run; expected k8s`,
    );
  }

  const resolution = resolveExecutorConfig(context, userLayers(project, pipeline, block));
  const problems = [...resolution.problems];
  const config = resolution.config;
  const blockConfigPath = `${block.keyPath}.executor_config`;
  const name = jobName({
    clusterUuid: context.mageClusterUuid,
    prefix: config.jobNamePrefix ?? '',
    trigger: ids.trigger,
    blockRunId: ids.blockRunId,
    attempt: ids.attempt,
  });
  if (!name.ok)
    problems.push({
      severity: 'error',
      ...locateSetting(resolution.layers, (c) => c.jobNamePrefix, 'job_name_prefix'),
      message: name.message,
    });

  const values: CommandValues = {
    project_path: context.projectPath ?? project.dir,
    pipeline_uuid: pipeline.uuid,
    block_uuid: block.uuid,
    block_run_id: String(ids.blockRunId),
    pipeline_run_id: String(ids.pipelineRunId),
    trigger_name: ids.trigger ?? '',
    attempt: String(ids.attempt),
    execution_partition: ids.executionPartition,
    runtime_vars: JSON.stringify(ids.runtimeVariables),
  };
  const { pod, container } = context.serverPod
    ? applyServerPodDefaults(config.pod ?? {}, config.container ?? {}, context.serverPod, context.serverContainerName)
    : { pod: config.pod ?? {}, container: config.container ?? {} };
  if (!container.image) {
    problems.push({
      severity: options.missingImage ?? 'error',
      file: pipeline.file,
      keyPath: `${blockConfigPath}.container.image`,
      message: `no image for block "${block.uuid}": set container.image (or container_config.image) in the block, pipeline or project config, or run where the dispatcher's own pod provides it (render --server-pod)`,
    });
  }
  problems.push(...checkMounts(pod, container, resolution.layers));
  const command = resolveCommand(container, values, ids.callbackUrl);
  for (const { key, message } of command.problems) {
    problems.push({
      severity: 'error',
      ...locateSetting(resolution.layers, (c) => c.container?.[key], `container.${key}`),
      message,
    });
  }

  const { labels, annotations, reserved } = jobMetadata(context.queuePrefix, config, pipeline, block, ids);
  for (const key of reserved) {
    problems.push({
      severity: 'warning',
      ...locateSetting(resolution.layers, (c) => c.metadata?.labels?.[key], `metadata.labels.${key}`),
      message: `label "${key}" is set by kubedispatch to identify the run; your value is ignored`,
    });
  }
  // Mage renders the namespace with Jinja, `variables()` reading the run's variables.
  const renderedNamespace = renderNamespace(config.namespace ?? DEFAULT_NAMESPACE, ids.runtimeVariables, context.env);
  const namespaceSetting = () => locateSetting(resolution.layers, (c) => c.namespace, 'namespace');
  if (!renderedNamespace.ok)
    problems.push({ severity: 'error', ...namespaceSetting(), message: renderedNamespace.message });
  const namespace = renderedNamespace.ok ? renderedNamespace.value : DEFAULT_NAMESPACE;
  if (!isDnsLabel(namespace)) {
    // Without the run's own variables (validate) a template may not render to a name yet.
    problems.push({
      severity: ids.dryRun ? 'warning' : 'error',
      ...namespaceSetting(),
      message: `namespace "${config.namespace}" renders to "${namespace}"${ids.dryRun ? ' without run variables' : " with the run's variables"}, which is not a DNS-1123 label (lower-case letters, digits and "-", at most 63 characters)`,
    });
  }
  const watched = context.watchedNamespaces;
  if (watched.length > 0 && !watched.includes(namespace)) {
    problems.push({
      severity: 'error',
      ...locateSetting(resolution.layers, (c) => c.namespace, 'namespace'),
      message: `namespace "${namespace}" is not watched by this installation (kube.namespaces / KUBEDISPATCH_NAMESPACES: ${watched.join(', ')}), so the outcome of its Job could never be decided; expected one of those namespaces, or add it to kube.namespaces`,
    });
  }
  if (!name.ok || problems.some((problem) => problem.severity === 'error')) return { problems };

  const job: V1Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: name.name, namespace, labels, annotations },
    spec: {
      ...config.job,
      template: {
        metadata: { labels, annotations },
        spec: { ...pod, containers: [{ name: DEFAULT_CONTAINER_NAME, ...container, ...command.lists }] },
      },
    },
  };
  return { rendered: { job, namespace, name: name.name, warnings: problems }, problems };
}

function jobMetadata(queuePrefix: string, config: ExecutorConfig, pipeline: Pipeline, block: Block, ids: RunIds) {
  const identity = identityLabels(queuePrefix, pipeline.uuid, block.uuid, ids);
  const userLabels = config.metadata?.labels ?? {};
  return {
    labels: { ...userLabels, ...identity },
    annotations: { ...config.metadata?.annotations, ...identityAnnotations(pipeline.uuid, block.uuid, ids) },
    reserved: Object.keys(userLabels).filter(
      (key) => Object.hasOwn(identity, key) && userLabels[key] !== identity[key],
    ),
  };
}

function fail(file: string, keyPath: string, message: string): { problems: ConfigProblem[] } {
  return { problems: [{ severity: 'error', file, keyPath, message }] };
}

function checkIds(ids: RunIds): void {
  for (const [key, value] of [
    ['pipelineRunId', ids.pipelineRunId],
    ['blockRunId', ids.blockRunId],
    ['attempt', ids.attempt],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new RangeError(`${key} must be a positive integer, got ${value}`);
  }
}
