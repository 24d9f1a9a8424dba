import type { BatchV1Api } from '@kubernetes/client-node';
import { deleteJob } from '../k8s/delete-job.ts';
import { INSTANCE_LABEL, LABEL_PREFIX, MANAGED_BY, MANAGED_BY_LABEL } from '../render/identity.ts';

/** Every demo runs under a fresh prefix starting with this (a valid label value as it is), so its Jobs are recognisable later. */
export const DEMO_PREFIX_START = 'kd-demo-';

const DELETION_TIMEOUT_MS = 60_000;
const POLL_MS = 500;

/**
 * Deletes the Jobs earlier demos left on a real cluster: the example keeps finished Jobs for an
 * hour (ttl_seconds_after_finished), and the next demo's Jobs get the same names, which would be
 * refused as collisions. Only Jobs of this pipeline labelled by a demo installation are touched.
 * Returns how many were deleted, once they are gone.
 */
export async function deleteLeftoverDemoJobs(batch: BatchV1Api, pipelineUuid: string): Promise<number> {
  const labelSelector = `${MANAGED_BY_LABEL}=${MANAGED_BY},${LABEL_PREFIX}/pipeline=${pipelineUuid}`;
  const fromDemos = async () =>
    (await batch.listJobForAllNamespaces({ labelSelector })).items.filter((job) =>
      job.metadata?.labels?.[INSTANCE_LABEL]?.startsWith(DEMO_PREFIX_START),
    );
  const leftovers = await fromDemos();
  await Promise.all(
    leftovers.map((job) => deleteJob(batch, job.metadata?.namespace ?? 'default', job.metadata?.name ?? '')),
  );
  // Background deletion removes the Job object promptly, but not synchronously.
  const deadline = Date.now() + DELETION_TIMEOUT_MS;
  while ((await fromDemos()).length > 0) {
    if (Date.now() > deadline)
      throw new Error(
        `Jobs of earlier demos were not gone ${DELETION_TIMEOUT_MS / 1000} s after deleting them; delete them with: kubectl delete jobs -A -l ${labelSelector}`,
      );
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return leftovers.length;
}
