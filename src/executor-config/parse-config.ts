import type { ProblemList } from '../errors/config-problem.ts';
import { childPath } from '../input/input-shape.ts';
import { mergeAt } from './merge.ts';
import { normaliseRawConfig } from './schema.ts';
import { rememberWritten } from './written-keys.ts';
import type { ContainerConfig, ExecutorConfig, PodConfig, Policy } from './types.ts';

type Resources = Record<string, string>;

interface RawConfig {
  namespace?: string;
  jobNamePrefix?: string;
  serviceAccountName?: string;
  resourceLimits?: Resources;
  resourceRequests?: Resources;
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; namespace?: string };
  pod?: PodConfig;
  container?: ContainerConfig;
  containerConfig?: ContainerConfig;
  job?: ExecutorConfig['job'];
}

/**
 * Validates one executor config mapping and folds Mage's alternative spellings into one form:
 * `container_config` over `container`, top-level `service_account_name` over the pod's,
 * top-level resources over `container.resources` per resource, `metadata.namespace` = `namespace`.
 * Returns undefined when the mapping has errors (they are in `problems`).
 */
export function parseExecutorConfig(
  value: unknown,
  file: string,
  path: string,
  problems: ProblemList,
): ExecutorConfig | undefined {
  if (value === null || value === undefined) return undefined;
  const before = problems.items.length;
  const raw = normaliseRawConfig(value, 'ExecutorConfig', path, { file, problems }) as RawConfig | undefined;
  if (!raw || hasNewErrors(problems, before)) return undefined;
  const config = foldRawConfig(raw, file, path, problems);
  if (config) rememberWritten(config, value);
  return config;
}

export function parsePolicy(value: unknown, file: string, problems: ProblemList): Policy | undefined {
  const before = problems.items.length;
  const raw = normaliseRawConfig(value ?? {}, 'Policy', '', { file, problems });
  if (!raw || hasNewErrors(problems, before)) return undefined;
  const { enabled, enforce, strictConflicts, ...rest } = raw;
  const config = foldRawConfig(rest as RawConfig, file, '', problems);
  if (!config) return undefined;
  rememberWritten(config, value);
  // A policy file exists to be applied; overriding users is opt-in (`enforce: true`).
  return {
    file,
    enabled: enabled !== false,
    enforce: enforce === true,
    strictConflicts: strictConflicts === true,
    config,
  };
}

function foldRawConfig(raw: RawConfig, file: string, path: string, problems: ProblemList): ExecutorConfig | undefined {
  const { namespace, jobNamePrefix, serviceAccountName, resourceLimits, resourceRequests, metadata, pod, job } = raw;
  if (namespace !== undefined && metadata?.namespace !== undefined && namespace !== metadata.namespace) {
    problems.error(
      file,
      childPath(path, 'namespace'),
      `namespace "${namespace}" and metadata.namespace "${metadata.namespace}" are the same setting with different values; set one of them`,
    );
    return undefined;
  }
  const config: ExecutorConfig = {};
  const effectiveNamespace = namespace ?? metadata?.namespace;
  if (effectiveNamespace !== undefined) config.namespace = effectiveNamespace;
  if (jobNamePrefix !== undefined) config.jobNamePrefix = jobNamePrefix;
  if (metadata?.labels || metadata?.annotations) {
    config.metadata = {};
    if (metadata.labels) config.metadata.labels = metadata.labels;
    if (metadata.annotations) config.metadata.annotations = metadata.annotations;
  }
  const podConfig = serviceAccountName !== undefined ? { ...pod, serviceAccountName } : pod;
  if (podConfig) config.pod = podConfig;
  const container = foldContainer(raw.container, raw.containerConfig, resourceLimits, resourceRequests);
  if (container) config.container = container;
  if (job) config.job = job;
  return config;
}

function foldContainer(
  container: ContainerConfig | undefined,
  containerConfig: ContainerConfig | undefined,
  limits: Resources | undefined,
  requests: Resources | undefined,
): ContainerConfig | undefined {
  const topLevelResources =
    limits || requests ? { resources: { ...(limits && { limits }), ...(requests && { requests }) } } : undefined;
  const overlaid = mergeAt(containerConfig, container, 'container');
  return mergeAt(topLevelResources, overlaid, 'container') as ContainerConfig | undefined;
}

function hasNewErrors(problems: ProblemList, before: number): boolean {
  return problems.items.slice(before).some((problem) => problem.severity === 'error');
}
