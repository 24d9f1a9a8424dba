import { Watch, type KubeConfig } from '@kubernetes/client-node';

export interface WatchedObject {
  metadata?: { name?: string; resourceVersion?: string };
}

/**
 * Resolves with the first object at `path` (a collection URL) that satisfies `predicate`, judged on
 * the current state and then on every watch event; rejects after `timeoutMs` naming what it last saw.
 * Tests synchronise on this instead of sleeping.
 */
export function waitFor<T extends WatchedObject>(
  kubeConfig: KubeConfig,
  path: string,
  query: { labelSelector?: string; fieldSelector?: string; resourceVersion?: string },
  predicate: (object: T, type: string) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let lastSeen: unknown;
    let settled = false;
    let abort: (() => void) | undefined;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      abort?.();
      outcome();
    };
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            new Error(`timed out after ${timeoutMs} ms waiting on ${path}; last seen: ${JSON.stringify(lastSeen)}`),
          ),
        ),
      timeoutMs,
    );
    const start = (): void => {
      new Watch(kubeConfig)
        .watch(
          path,
          { ...query },
          (type, object: T) => {
            lastSeen = { type, object };
            if (type !== 'BOOKMARK' && type !== 'ERROR' && predicate(object, type)) finish(() => resolve(object));
          },
          () => {
            if (!settled) setImmediate(start);
          },
        )
        .then((controller) => {
          abort = () => controller.abort();
          if (settled) controller.abort();
        })
        .catch((error: unknown) => finish(() => reject(error)));
    };
    start();
  });
}

/**
 * Resolves when the object that `read` returns no longer exists: at once if it is already gone (404),
 * else on its DELETED event, watched from the version read so that nothing in between is missed.
 */
export async function waitForDeletion(
  kubeConfig: KubeConfig,
  path: string,
  read: () => Promise<WatchedObject>,
  timeoutMs = 15_000,
): Promise<void> {
  let current: WatchedObject;
  try {
    current = await read();
  } catch (error) {
    if ((error as { code?: number }).code === 404) return;
    throw error;
  }
  const query = {
    fieldSelector: `metadata.name=${current.metadata?.name}`,
    resourceVersion: current.metadata?.resourceVersion as string,
  };
  await waitFor(kubeConfig, path, query, (_object, type) => type === 'DELETED', timeoutMs);
}
