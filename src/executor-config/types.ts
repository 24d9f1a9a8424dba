import type { V1Container, V1JobSpec, V1PodSpec } from '@kubernetes/client-node';

/** Pod settings a layer may set; the containers list is built by the renderer from `container`. */
export type PodConfig = Partial<Omit<V1PodSpec, 'containers'>>;
export type ContainerConfig = Partial<V1Container>;
/** Job spec settings a layer may set; the pod template is built by the renderer. */
export type JobConfig = Partial<Omit<V1JobSpec, 'template'>>;

/**
 * One layer of executor configuration after validation and normalisation: API camelCase keys,
 * `container_config` folded into `container`, top-level service account and resources folded
 * into `pod` and `container`, `metadata.namespace` folded into `namespace`. Plain JSON data.
 */
export interface ExecutorConfig {
  namespace?: string;
  jobNamePrefix?: string;
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  pod?: PodConfig;
  container?: ContainerConfig;
  job?: JobConfig;
}

/**
 * The key paths at which a config's settings are written in its file, relative to the config:
 * normalised leaf path (leaves.ts: `container.resources.limits.memory`, `container.env[NAME]`) →
 * path as written (`resource_limits.memory`, `container_config.env[2]`), only where the two differ.
 * Plain data, so the run's JSON snapshot keeps it and the dispatcher names the keys users wrote.
 */
export type ConfigSpelling = Readonly<Record<string, string>>;

/** A config as parsed from one mapping, with how its keys were written there. */
export interface ParsedConfig {
  config: ExecutorConfig;
  spelling: ConfigSpelling;
}

/** Where a layer sits in the priority table of the reference text. */
export type LayerName = 'policy' | 'block' | 'pipeline' | 'project' | 'template' | 'env' | 'hardcoded';

/** A layer with the file it came from, so problems can name both sides of a conflict. */
export interface ConfigLayer {
  name: LayerName;
  file: string;
  /** Where the config sits inside the file (`blocks[2].executor_config`), '' for a whole file. */
  keyPath: string;
  config: ExecutorConfig;
  spelling: ConfigSpelling;
}

/** The cluster-wide default file read from `K8S_DEFAULT_CONFIG_PATH`. */
export interface Policy {
  file: string;
  enabled: boolean;
  enforce: boolean;
  strictConflicts: boolean;
  config: ExecutorConfig;
  spelling: ConfigSpelling;
}
