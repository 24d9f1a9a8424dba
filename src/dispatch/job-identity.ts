import type { V1Job } from '@kubernetes/client-node';
import { LABEL_PREFIX } from '../render/identity.ts';

/** The identity labels design.md puts on every Job (values are decimal integers). */
export const IDENTITY_LABELS = {
  pipelineRunId: `${LABEL_PREFIX}/pipeline-run-id`,
  blockRunId: `${LABEL_PREFIX}/block-run-id`,
  attempt: `${LABEL_PREFIX}/attempt`,
} as const;

/** Which attempt of which block run a Job belongs to. */
export interface JobIdentity {
  pipelineRunId: number;
  blockRunId: number;
  attempt: number;
}

/** The identity an existing Job claims through its labels, as written there. */
export function describeJobIdentity(job: V1Job): string {
  const labels = job.metadata?.labels ?? {};
  const part = (key: string) => labels[key] ?? '(none)';
  return `pipeline run ${part(IDENTITY_LABELS.pipelineRunId)}, block run ${part(IDENTITY_LABELS.blockRunId)}, attempt ${part(IDENTITY_LABELS.attempt)}`;
}

/** True when `job` is this attempt's Job (so a 409 on create means it was already created). */
export function jobHasIdentity(job: V1Job, identity: JobIdentity): boolean {
  const labels = job.metadata?.labels ?? {};
  return (
    labels[IDENTITY_LABELS.pipelineRunId] === String(identity.pipelineRunId) &&
    labels[IDENTITY_LABELS.blockRunId] === String(identity.blockRunId) &&
    labels[IDENTITY_LABELS.attempt] === String(identity.attempt)
  );
}
