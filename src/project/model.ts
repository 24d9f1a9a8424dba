import type { ConfigSpelling, ExecutorConfig } from '../executor-config/types.ts';

/**
 * A Mage project as kubedispatch uses it. Plain JSON data: the scheduler stores it in the run record
 * and dispatchers on other machines render Jobs from that snapshot. File paths are kept so that
 * problems found later can still name the file they come from.
 */
export interface Project {
  /** Absolute path of the project directory where it was loaded. */
  dir: string;
  /** `<dir>/metadata.yaml`. */
  metadataFile: string;
  /** The project's `k8s_executor_config`, validated and normalised; null when absent. */
  k8sExecutorConfig: ExecutorConfig | null;
  /** How its keys are written (types.ts); absent without a config and in snapshots taken before it was recorded. */
  k8sExecutorConfigSpelling?: ConfigSpelling;
  /** The keys of the project's `retry_config` that are set; blocks' keys win over them (retry-config.ts). */
  retryConfig: Partial<RetryConfig>;
  /** `remote_variables_dir` (s3://…, gs://…): where Mage keeps block outputs instead of the variables root; absent when unset. */
  remoteVariablesDir?: string;
  pipelines: Pipeline[];
}

export interface Pipeline {
  /** The pipeline's folder name under `pipelines/`, which Mage uses as its uuid. */
  uuid: string;
  file: string;
  /** Lower-cased `executor_type`; null when absent. */
  executorType: string | null;
  executorConfig: ExecutorConfig | null;
  /** As `Project.k8sExecutorConfigSpelling`. */
  executorConfigSpelling?: ConfigSpelling;
  concurrencyConfig: ConcurrencyConfig;
  /** The pipeline's `variables:` as plain YAML values (Mage does not render pipeline files); `{}` when absent. */
  variables: Record<string, unknown>;
  blocks: Block[];
}

export interface Block {
  uuid: string;
  type: string | null;
  upstreamBlocks: string[];
  downstreamBlocks: string[];
  executorType: string | null;
  executorConfig: ExecutorConfig | null;
  /** As `Project.k8sExecutorConfigSpelling`. */
  executorConfigSpelling?: ConfigSpelling;
  /** The keys of the block's `retry_config` that are set (merged over the project's: retry-config.ts). */
  retryConfig: Partial<RetryConfig>;
  /** Where the block sits in its pipeline file (`blocks[3]`), for messages. */
  keyPath: string;
}

/** Mage's retry settings, resolved (delays in seconds). */
export interface RetryConfig {
  retries: number;
  delay: number;
  maxDelay: number;
  exponentialBackoff: boolean;
}

export interface ConcurrencyConfig {
  blockRunLimit: number | null;
  pipelineRunLimit: number | null;
}

/** The value Mage's project template writes for `remote_variables_dir`, which Mage treats as unset. */
export const REMOTE_VARIABLES_DIR_PLACEHOLDER = 's3://bucket/path_prefix';

export const DEFAULT_RETRY_CONFIG: RetryConfig = { retries: 0, delay: 5, maxDelay: 60, exponentialBackoff: true };

export function findPipeline(project: Project, uuid: string): Pipeline | undefined {
  return project.pipelines.find((pipeline) => pipeline.uuid === uuid);
}

/** What a request for a pipeline the project lacks is told; `known` lists the pipelines it has. */
export function unknownPipelineMessage(uuid: string, known: readonly string[]): string {
  return `unknown pipeline "${uuid}"; expected one of: ${known.join(', ') || '(none)'}`;
}

export function findBlock(pipeline: Pipeline, uuid: string): Block | undefined {
  return pipeline.blocks.find((block) => block.uuid === uuid);
}
