import type { BatchV1Api } from '@kubernetes/client-node';
import { classifyApiError } from './api-error.ts';

/** How a caller sends a request: as it is, or through its own retries and metrics. */
export type SendRequest = (operation: string, request: () => Promise<unknown>) => Promise<unknown>;

const sendOnce: SendRequest = (_operation, request) => request();

/**
 * Deletes a Job and, through Background propagation, its pods. A Job already gone (404) is what
 * was wanted, so it is not an error; any other failure is thrown classified.
 */
export async function deleteJob(
  batch: BatchV1Api,
  namespace: string,
  name: string,
  send: SendRequest = sendOnce,
): Promise<void> {
  const operation = `delete Job ${namespace}/${name}`;
  try {
    await send(operation, () => batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' }));
  } catch (thrown) {
    const error = classifyApiError(thrown, operation);
    if (error.status !== 404) throw error;
  }
}
