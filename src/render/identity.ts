import { isLabelValue, MAX_LABEL_LENGTH } from '../executor-config/k8s-names.ts';
import { shortHash } from './short-hash.ts';

/** Which run of which block a Job belongs to. Ids are positive integers from Redis counters. */
export interface RunIds {
  pipelineRunId: number;
  blockRunId: number;
  /** 1-based attempt of this block run. */
  attempt: number;
  trigger?: string;
  /** The installation epoch the run belongs to (src/runs/epoch.ts); every Job a dispatcher creates carries it. */
  epoch?: string;
  /** The attempt's `--callback-url` for Mage's command (only dispatchers with `mage.callbackUrl` set give one). */
  callbackUrl?: string;
}

/** What one Job of a run is rendered with beside its ids: the same for every block and attempt of the run. */
export interface BlockRunIds extends RunIds {
  /** The run's execution partition (`--execution-partition`, `{execution_partition}`). */
  executionPartition: string;
  /** Mage's variables of the run (`--runtime-vars`, `{runtime_vars}`); see src/mage/run-variables.ts. */
  runtimeVariables: Record<string, unknown>;
  /** `validate`: no run's own variables are known, so a namespace rendered from them is only checked loosely. */
  dryRun?: boolean;
}

export const LABEL_PREFIX = 'kubedispatch.io';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'kubedispatch';
/** Which installation (Redis key prefix) a Job belongs to: installations sharing a cluster ignore each other's Jobs. */
export const INSTANCE_LABEL = `${LABEL_PREFIX}/instance`;
/** Which life of Redis (installation epoch) created the Job: only that life may decide it. */
export const EPOCH_LABEL = `${LABEL_PREFIX}/epoch`;
export const PIPELINE_RUN_ID_LABEL = `${LABEL_PREFIX}/pipeline-run-id`;
export const BLOCK_RUN_ID_LABEL = `${LABEL_PREFIX}/block-run-id`;
export const ATTEMPT_LABEL = `${LABEL_PREFIX}/attempt`;

/** A label value for any text: kept when valid, otherwise cleaned, cut and suffixed with a hash of the original. */
export function labelSafe(text: string): string {
  if (isLabelValue(text)) return text;
  const hash = shortHash(text);
  const cleaned = text
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, MAX_LABEL_LENGTH - hash.length - 1)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return cleaned ? `${cleaned}-${hash}` : hash;
}

/** The value of INSTANCE_LABEL for an installation's Redis key prefix (`queue.prefix`). */
export function instanceLabelValue(queuePrefix: string): string {
  return labelSafe(queuePrefix);
}

/** Selects the Jobs and pods of one installation. */
export function instanceSelector(queuePrefix: string): string {
  return `${MANAGED_BY_LABEL}=${MANAGED_BY},${INSTANCE_LABEL}=${instanceLabelValue(queuePrefix)}`;
}

/** The labels docs/design.md fixes for every Job and its pod template; users cannot replace them. */
export function identityLabels(
  queuePrefix: string,
  pipelineUuid: string,
  blockUuid: string,
  ids: RunIds,
): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [INSTANCE_LABEL]: instanceLabelValue(queuePrefix),
    [`${LABEL_PREFIX}/pipeline`]: labelSafe(pipelineUuid),
    [`${LABEL_PREFIX}/block`]: labelSafe(blockUuid),
    [PIPELINE_RUN_ID_LABEL]: String(ids.pipelineRunId),
    [BLOCK_RUN_ID_LABEL]: String(ids.blockRunId),
    [`${LABEL_PREFIX}/trigger`]: labelSafe(ids.trigger ?? ''),
    [ATTEMPT_LABEL]: String(ids.attempt),
    // A preview (`render`, `validate`) has no epoch; a dispatcher's Job always has one.
    ...(ids.epoch !== undefined ? { [EPOCH_LABEL]: labelSafe(ids.epoch) } : {}),
  };
}

/** The raw values, which labels may have had to shorten. */
export function identityAnnotations(pipelineUuid: string, blockUuid: string, ids: RunIds): Record<string, string> {
  return {
    [`${LABEL_PREFIX}/pipeline`]: pipelineUuid,
    [`${LABEL_PREFIX}/block`]: blockUuid,
    [`${LABEL_PREFIX}/trigger`]: ids.trigger ?? '',
  };
}
