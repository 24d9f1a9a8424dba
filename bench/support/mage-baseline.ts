import type { BatchV1Api, V1Job } from '@kubernetes/client-node';

export interface BaselineResult {
  requests: number;
  /** When the poll first saw the Job finished (ms since epoch). */
  doneAt: number;
  succeeded: boolean;
}

const POLL_MS = 5000;

/**
 * What Mage's Kubernetes executor does for one block run: create the Job, GET it every 5 s until
 * it has succeeded or failed, then delete it. Counts its own API requests.
 */
export async function runLikeMage(batch: BatchV1Api, namespace: string, job: V1Job): Promise<BaselineResult> {
  let requests = 1;
  await batch.createNamespacedJob({ namespace, body: job });
  const name = job.metadata?.name as string;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    requests++;
    const current = await batch.readNamespacedJob({ namespace, name });
    const succeeded = (current.status?.succeeded ?? 0) > 0;
    if (succeeded || (current.status?.failed ?? 0) > 0) {
      const doneAt = Date.now();
      requests++;
      await batch.deleteNamespacedJob({ namespace, name, propagationPolicy: 'Background' });
      return { requests, doneAt, succeeded };
    }
  }
}
