import { isLabelValue, MAX_LABEL_LENGTH } from '../executor-config/k8s-names.ts';
import { shortHash } from './short-hash.ts';

/** Which run of which block a Job belongs to. Ids are positive integers from Redis counters. */
export interface RunIds {
  pipelineRunId: number;
  blockRunId: number;
  /** 1-based attempt of this block run. */
  attempt: number;
  trigger?: string;
  /** The run's variables, handed to Mage as its runtime variables (`--runtime-vars`). */
  variables?: Record<string, string>;
  /** The attempt's `--callback-url` for Mage's command (only dispatchers with `mage.callbackUrl` set give one). */
  callbackUrl?: string;
}

export const LABEL_PREFIX = 'kubedispatch.io';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'kubedispatch';
/** Which installation (Redis key prefix) a Job belongs to: installations sharing a cluster ignore each other's Jobs. */
export const INSTANCE_LABEL = `${LABEL_PREFIX}/instance`;

/** A label value for any text: kept when valid, otherwise cleaned, cut and suffixed with a hash of the original. */
export function labelSafe(text: string): string {
  if (isLabelValue(text)) return text;
  const hash = shortHash(text);
  const cleaned = text.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, MAX_LABEL_LENGTH - hash.length - 1).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
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
export function identityLabels(queuePrefix: string, pipelineUuid: string, blockUuid: string, ids: RunIds): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [INSTANCE_LABEL]: instanceLabelValue(queuePrefix),
    [`${LABEL_PREFIX}/pipeline`]: labelSafe(pipelineUuid),
    [`${LABEL_PREFIX}/block`]: labelSafe(blockUuid),
    [`${LABEL_PREFIX}/pipeline-run-id`]: String(ids.pipelineRunId),
    [`${LABEL_PREFIX}/block-run-id`]: String(ids.blockRunId),
    [`${LABEL_PREFIX}/trigger`]: labelSafe(ids.trigger ?? ''),
    [`${LABEL_PREFIX}/attempt`]: String(ids.attempt),
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
