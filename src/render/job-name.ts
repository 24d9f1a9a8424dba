import { MAX_LABEL_LENGTH } from '../executor-config/k8s-names.ts';
import { substitutePlaceholders } from './placeholders.ts';
import { shortHash } from './short-hash.ts';

export type JobNameResult = { ok: true; name: string } | { ok: false; message: string };

/** A trigger name as it may appear in a DNS label: lower case, anything else than a-z, 0-9 and "-" turned into "-". */
export function dnsSafe(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9-]/g, '-');
}

/**
 * `mage-{job_name_prefix}-block-{block_run_id}` (Mage's format), with `-a{attempt}` from the second
 * attempt on so that attempts never collide. Names longer than a DNS label are shortened in the
 * prefix part with a hash of the full name added; the `-block-…` tail is always kept whole.
 */
export function jobName(prefix: string, trigger: string | undefined, blockRunId: number, attempt: number): JobNameResult {
  const substituted = substitutePlaceholders(prefix, { trigger_name: dnsSafe(trigger ?? '') });
  if (!substituted.ok) {
    const names = substituted.unknown.map((name) => `{${name}}`).join(', ');
    return { ok: false, message: `unknown placeholder ${names} in "${prefix}"; only {trigger_name} is supported` };
  }
  if (!/^[a-z0-9-]*$/.test(substituted.text)) {
    return { ok: false, message: `"${prefix}" cannot be part of a Job name: expected lower-case letters, digits, "-" and {trigger_name}` };
  }
  const head = `mage-${substituted.text}`;
  const tail = `-block-${blockRunId}${attempt >= 2 ? `-a${attempt}` : ''}`;
  if (head.length + tail.length <= MAX_LABEL_LENGTH) return { ok: true, name: head + tail };
  const hash = shortHash(head + tail);
  const kept = head.slice(0, MAX_LABEL_LENGTH - tail.length - hash.length - 1).replace(/-+$/, '');
  return { ok: true, name: `${kept}-${hash}${tail}` };
}
