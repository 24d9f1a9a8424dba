import type { V1Job } from '@kubernetes/client-node';
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

// Every label and annotation name that identifies a kubedispatch Job is spelled here, and only here.
export const LABEL_PREFIX = 'kubedispatch.io';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'kubedispatch';
/** Selects every Job and pod kubedispatch made, of any installation. */
export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;
/** Which installation (Redis key prefix) a Job belongs to: installations sharing a cluster ignore each other's Jobs. */
export const INSTANCE_LABEL = `${LABEL_PREFIX}/instance`;
/** Which life of Redis (installation epoch) created the Job: only that life may decide it. */
export const EPOCH_LABEL = `${LABEL_PREFIX}/epoch`;
/** Pipeline, block and trigger are labels (made label-safe) and, with their raw values, annotations of the same names. */
export const PIPELINE_LABEL = `${LABEL_PREFIX}/pipeline`;
export const BLOCK_LABEL = `${LABEL_PREFIX}/block`;
export const TRIGGER_LABEL = `${LABEL_PREFIX}/trigger`;
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
  return `${MANAGED_SELECTOR},${INSTANCE_LABEL}=${instanceLabelValue(queuePrefix)}`;
}

/** Selects the Jobs and pods of one pipeline, of every installation. */
export function pipelineSelector(pipelineUuid: string): string {
  return `${MANAGED_SELECTOR},${PIPELINE_LABEL}=${labelSafe(pipelineUuid)}`;
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
    [PIPELINE_LABEL]: labelSafe(pipelineUuid),
    [BLOCK_LABEL]: labelSafe(blockUuid),
    [PIPELINE_RUN_ID_LABEL]: String(ids.pipelineRunId),
    [BLOCK_RUN_ID_LABEL]: String(ids.blockRunId),
    [TRIGGER_LABEL]: labelSafe(ids.trigger ?? ''),
    [ATTEMPT_LABEL]: String(ids.attempt),
    // A preview (`render`, `validate`) has no epoch; a dispatcher's Job always has one.
    ...(ids.epoch !== undefined ? { [EPOCH_LABEL]: labelSafe(ids.epoch) } : {}),
  };
}

/** The raw values, which labels may have had to shorten. */
export function identityAnnotations(pipelineUuid: string, blockUuid: string, ids: RunIds): Record<string, string> {
  return {
    [PIPELINE_LABEL]: pipelineUuid,
    [BLOCK_LABEL]: blockUuid,
    [TRIGGER_LABEL]: ids.trigger ?? '',
  };
}

/** What a Job's labels say it is; a field is undefined when its label is missing or malformed. */
export interface JobIdentity {
  /** INSTANCE_LABEL as written (the label-safe queue prefix). */
  instance: string | undefined;
  epoch: string | undefined;
  pipelineRunId: number | undefined;
  blockRunId: number | undefined;
  attempt: number | undefined;
}

/** Ids are positive integers (Redis counters); anything else in their label is no id. */
function positiveInt(value: unknown): number | undefined {
  return typeof value === 'string' && /^[1-9]\d{0,15}$/.test(value) ? Number(value) : undefined;
}

/** An empty label says nothing. */
function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Reads the identity from a Job's labels (typed, or raw JSON from a list or watch). */
export function readJobIdentity(labels: Readonly<Record<string, unknown>> | undefined): JobIdentity {
  return {
    instance: text(labels?.[INSTANCE_LABEL]),
    epoch: text(labels?.[EPOCH_LABEL]),
    pipelineRunId: positiveInt(labels?.[PIPELINE_RUN_ID_LABEL]),
    blockRunId: positiveInt(labels?.[BLOCK_RUN_ID_LABEL]),
    attempt: positiveInt(labels?.[ATTEMPT_LABEL]),
  };
}

/** The labels that say which attempt of which block run of which installation a Job belongs to. */
const ATTEMPT_IDENTITY = [
  { label: INSTANCE_LABEL, name: 'installation' },
  // A Job left from an earlier life of Redis (one that lost its data) is never adopted.
  { label: EPOCH_LABEL, name: 'epoch' },
  { label: PIPELINE_RUN_ID_LABEL, name: 'pipeline run' },
  { label: BLOCK_RUN_ID_LABEL, name: 'block run' },
  { label: ATTEMPT_LABEL, name: 'attempt' },
] as const;

function labelsOf(job: V1Job): Record<string, string> {
  return job.metadata?.labels ?? {};
}

/** The identity a Job claims through its labels, as written there. */
export function describeJobIdentity(job: V1Job): string {
  const labels = labelsOf(job);
  return ATTEMPT_IDENTITY.map(({ label, name }) => `${name} ${labels[label] ?? '(none)'}`).join(', ');
}

/** True when `existing` carries the identity of `wanted` (so a 409 on creating `wanted` means it was already created). */
export function sameIdentity(existing: V1Job, wanted: V1Job): boolean {
  const have = labelsOf(existing);
  const want = labelsOf(wanted);
  return ATTEMPT_IDENTITY.every(({ label }) => want[label] !== undefined && have[label] === want[label]);
}
