import type { V1Pod } from '@kubernetes/client-node';
import type { Env } from '../config/env.ts';
import type { Settings } from '../config/settings.ts';
import { ConfigError, ProblemList } from '../errors/config-problem.ts';
import type { ConfigProblem } from '../errors/config-problem.ts';
import { ENVIRONMENT, readEnvDefaults, readResourceMaximums } from '../executor-config/env-defaults.ts';
import { parseExecutorConfig, parsePolicy } from '../executor-config/parse-config.ts';
import type { ConfigSources } from '../executor-config/resolve.ts';
import { normaliseAs } from '../executor-config/shape.ts';
import type { ConfigLayer, Policy } from '../executor-config/types.ts';
import { isPlainObject } from '../input/input-shape.ts';
import { withKeyLines } from '../input/key-lines.ts';
import { readYamlFile, readYamlSource } from '../input/safe-yaml.ts';
import { DEFAULT_MAGE_CLUSTER_UUID } from './job-name.ts';

/** Env var naming the project's path inside the Job's container (the `mage run` argument). */
export const PROJECT_PATH_VAR = 'KUBEDISPATCH_PROJECT_PATH';

/** Everything a renderer needs beside the project; loaded once per process. */
export interface RenderContext extends ConfigSources {
  env: Env;
  /** The dispatcher's own pod, giving image, env, mounts… where the config is silent; null out of a cluster. */
  serverPod: V1Pod | null;
  /** `MAGE_CONTAINER_NAME`: which container of the server pod runs Mage. */
  serverContainerName: string | undefined;
  /** `KUBEDISPATCH_PROJECT_PATH`, else the project's own directory is used. */
  projectPath: string | undefined;
  /** `MAGE_CLUSTER_UUID` (default `mage`): the first part of Job names, as in Mage. */
  mageClusterUuid: string;
  /** The installation's Redis key prefix (`queue.prefix`), which its Jobs carry as their instance label. */
  queuePrefix: string;
  /** `kube.namespaces`: the only namespaces Jobs may go to, because the watcher sees no other; empty means any. */
  watchedNamespaces: readonly string[];
}

export interface RenderContextOptions {
  /** `queue.prefix` of the settings: the watcher of this installation selects Jobs by it. */
  queuePrefix: string;
  /** `kube.namespaces` of the settings (entries are trimmed, blanks dropped); absent or empty means any. */
  watchedNamespaces?: readonly string[];
  serverPod?: V1Pod;
}

/**
 * What an installation's settings say about rendering: its prefix, its namespaces, and the
 * server pod only when `dispatcher.ownPodDefaults` lets Jobs take defaults from it. The
 * dispatcher, `render` and `validate` all go through here, so they render the same Job.
 */
export function renderOptionsOf(settings: Settings, serverPod: V1Pod | undefined): RenderContextOptions {
  const options = { queuePrefix: settings.queue.prefix, watchedNamespaces: settings.kube.namespaces };
  return serverPod && settings.dispatcher.ownPodDefaults ? { ...options, serverPod } : options;
}

/** Said by `render` and `validate` when `--server-pod` is given but the dispatcher would not use its pod. */
export const SERVER_POD_IGNORED =
  'warning: --server-pod is ignored: dispatcher.ownPodDefaults (KUBEDISPATCH_OWN_POD_DEFAULTS) is false, so the dispatcher gives Jobs nothing of its own pod';

/** Loads template (`K8S_CONFIG_FILE`), policy (`K8S_DEFAULT_CONFIG_PATH`) and env-var settings; throws on any error. */
export function loadRenderContext(env: Env, options: RenderContextOptions): RenderContext {
  const { context, problems } = readRenderContext(env, options);
  if (problems.some((problem) => problem.severity === 'error')) throw new ConfigError(problems);
  return context;
}

/** Same as loadRenderContext but returns every problem instead of throwing. */
export function readRenderContext(
  env: Env,
  options: RenderContextOptions,
): { context: RenderContext; problems: ConfigProblem[] } {
  const problems = new ProblemList();
  const context: RenderContext = {
    env,
    template: readTemplate(env['K8S_CONFIG_FILE'], problems),
    policy: readPolicy(env['K8S_DEFAULT_CONFIG_PATH'], problems),
    envDefaults: readEnvDefaults(env, problems),
    maximums: readResourceMaximums(env, problems),
    serverPod: options.serverPod ?? null,
    serverContainerName: env['MAGE_CONTAINER_NAME'] || undefined,
    projectPath: env[PROJECT_PATH_VAR] || undefined,
    mageClusterUuid: readMageClusterUuid(env, problems),
    queuePrefix: options.queuePrefix,
    watchedNamespaces: watchedNamespaces(options.watchedNamespaces ?? []),
  };
  return { context, problems: problems.items };
}

/** Starts every Job name, so it must fit a DNS label's alphabet; an empty value means Mage's default. */
function readMageClusterUuid(env: Env, problems: ProblemList): string {
  const value = env['MAGE_CLUSTER_UUID'] || DEFAULT_MAGE_CLUSTER_UUID;
  if (!/^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$/.test(value)) {
    problems.error(
      ENVIRONMENT,
      'MAGE_CLUSTER_UUID',
      `"${value}" cannot start a Job name: expected at most 42 lower-case letters, digits and "-", starting and ending with a letter or digit`,
    );
    return DEFAULT_MAGE_CLUSTER_UUID;
  }
  return value;
}

function readTemplate(file: string | undefined, problems: ProblemList): ConfigLayer | null {
  const config = file
    ? readConfigFile(file, problems, (document, fileProblems) =>
        parseExecutorConfig(document ?? {}, file, '', fileProblems),
      )
    : undefined;
  return file && config ? { name: 'template', file, keyPath: '', config } : null;
}

function readPolicy(file: string | undefined, problems: ProblemList): Policy | null {
  return (
    (file && readConfigFile(file, problems, (document, fileProblems) => parsePolicy(document, file, fileProblems))) ||
    null
  );
}

/** Reads and parses one config file, adding its problems (with line numbers) to `problems`. */
function readConfigFile<T>(
  file: string,
  problems: ProblemList,
  parse: (document: unknown, fileProblems: ProblemList) => T | undefined,
): T | undefined {
  const fileProblems = new ProblemList();
  try {
    const { text, document } = readYamlSource(file);
    const parsed = parse(document, fileProblems);
    problems.addAll(withKeyLines(fileProblems.items, file, text));
    return parsed;
  } catch (thrown) {
    if (!(thrown instanceof ConfigError)) throw thrown;
    problems.addAll(thrown.problems);
    return undefined;
  }
}

const plainKubernetesTypes = { objects: {}, custom: {}, attributeOverrides: {} };

/**
 * Reads a pod manifest (e.g. `kubectl get pod -o yaml`) standing in for the dispatcher's own pod.
 * Only `spec` is used and checked: status and metadata fields of newer clusters must not fail it.
 */
export function readServerPodFile(file: string): V1Pod {
  const problems = new ProblemList();
  const document = readYamlFile(file);
  const spec = isPlainObject(document) ? document['spec'] : undefined;
  const pod = { spec: normaliseAs(spec, 'V1PodSpec', 'spec', { file, problems }, plainKubernetesTypes) } as V1Pod;
  if (!pod.spec?.containers?.length)
    problems.error(file, 'spec.containers', 'expected a pod with at least one container');
  problems.throwIfErrors();
  return pod;
}

/** The namespaces a `kube.namespaces` setting names: entries trimmed, blanks dropped (none means every namespace). */
export function watchedNamespaces(setting: readonly string[]): string[] {
  return setting.map((namespace) => namespace.trim()).filter((namespace) => namespace !== '');
}
