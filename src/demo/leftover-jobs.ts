import type { V1ObjectMeta } from '@kubernetes/client-node';
import { listAll, type Cluster } from '../k8s/cluster.ts';
import { pipelineSelector, readJobIdentity } from '../render/identity.ts';

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
export async function deleteLeftoverDemoJobs(cluster: Cluster, pipelineUuid: string): Promise<number> {
  const labelSelector = pipelineSelector(pipelineUuid);
  const fromDemos = async () =>
    // Plain JSON of Jobs: their metadata has the typed shape.
    (await listAll(cluster, { kind: 'jobs', namespace: undefined, labelSelector }))
      .map((item) => (item as { metadata?: V1ObjectMeta }).metadata ?? {})
      .filter((metadata) => readJobIdentity(metadata.labels).instance?.startsWith(DEMO_PREFIX_START));
  const leftovers = await fromDemos();
  await Promise.all(
    leftovers.map((metadata) => cluster.deleteJob(metadata.namespace ?? 'default', metadata.name ?? '')),
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
