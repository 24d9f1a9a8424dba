import { MAX_LABEL_LENGTH } from '../executor-config/k8s-names.ts';
import { triggerNameForJob } from '../mage/clean-name.ts';
import { substitutePlaceholders } from './placeholders.ts';
import { shortHash } from './short-hash.ts';

export type JobNameResult = { ok: true; name: string } | { ok: false; message: string };

/** Mage's default `MAGE_CLUSTER_UUID`, the first part of every Job name. */
export const DEFAULT_MAGE_CLUSTER_UUID = 'mage';

/** Text as it may appear in a DNS label: lower case, anything else than a-z, 0-9 and "-" turned into "-". */
export function dnsSafe(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9-]/g, '-');
}

/** `{trigger_name}` as Mage fills it in (`clean_name(name).replace('_', '-')`), then made DNS-safe (Mage keeps e.g. non-ASCII letters). */
export function jobTriggerName(trigger: string): string {
  return dnsSafe(triggerNameForJob(trigger));
}

export interface JobNameParts {
  /** `MAGE_CLUSTER_UUID` (default `mage`). */
  clusterUuid: string;
  /** `job_name_prefix`, which may hold `{trigger_name}`. */
  prefix: string;
  trigger: string | undefined;
  blockRunId: number;
  attempt: number;
}

/**
 * `{MAGE_CLUSTER_UUID}-{job_name_prefix}-block-{block_run_id}` (Mage's format), with `-a{attempt}`
 * from the second attempt on so that attempts never collide. Names longer than a DNS label are
 * shortened in the head with a hash of the full name added; the `-block-…` tail is always kept whole.
 */
export function jobName(parts: JobNameParts): JobNameResult {
  const { clusterUuid, prefix } = parts;
  const substituted = substitutePlaceholders(prefix, { trigger_name: jobTriggerName(parts.trigger ?? '') });
  if (!substituted.ok) {
    const names = substituted.unknown.map((name) => `{${name}}`).join(', ');
    return { ok: false, message: `unknown placeholder ${names} in "${prefix}"; only {trigger_name} is supported` };
  }
  if (!/^[a-z0-9-]*$/.test(substituted.text)) {
    return {
      ok: false,
      message: `"${prefix}" cannot be part of a Job name: expected lower-case letters, digits, "-" and {trigger_name}`,
    };
  }
  const head = `${clusterUuid}-${substituted.text}`;
  const tail = `-block-${parts.blockRunId}${parts.attempt >= 2 ? `-a${parts.attempt}` : ''}`;
  if (head.length + tail.length <= MAX_LABEL_LENGTH) return { ok: true, name: head + tail };
  const hash = shortHash(head + tail);
  const kept = head.slice(0, MAX_LABEL_LENGTH - tail.length - hash.length - 1).replace(/-+$/, '');
  return { ok: true, name: `${kept}-${hash}${tail}` };
}
