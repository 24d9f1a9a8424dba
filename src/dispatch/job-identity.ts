import type { V1Job } from '@kubernetes/client-node';
import {
  ATTEMPT_LABEL,
  BLOCK_RUN_ID_LABEL,
  EPOCH_LABEL,
  INSTANCE_LABEL,
  PIPELINE_RUN_ID_LABEL,
} from '../render/identity.ts';

/** The labels that say which attempt of which block run of which installation a Job belongs to. */
const IDENTITY = [
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
  return IDENTITY.map(({ label, name }) => `${name} ${labels[label] ?? '(none)'}`).join(', ');
}

/** True when `existing` carries the identity of `wanted` (so a 409 on creating `wanted` means it was already created). */
export function sameIdentity(existing: V1Job, wanted: V1Job): boolean {
  const have = labelsOf(existing);
  const want = labelsOf(wanted);
  return IDENTITY.every(({ label }) => want[label] !== undefined && have[label] === want[label]);
}
