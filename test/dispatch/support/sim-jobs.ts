import { BatchV1Api, type V1Job } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import type { RunStore } from '../../../src/runs/run-store.ts';
import { toError } from '../../../src/errors/to-error.ts';

const BLOCK_RUN_ID = 'kubedispatch.io/block-run-id';
const ATTEMPT = 'kubedispatch.io/attempt';

export function attemptOf(job: V1Job): string {
  return `${job.metadata?.labels?.[BLOCK_RUN_ID]}:${job.metadata?.labels?.[ATTEMPT]}`;
}

/**
 * Reads Jobs from the simulated cluster and, until the real watcher is used, plays the watcher:
 * records the outcome of every finished Job. It never deletes Jobs, so `jobs()` lists every Job
 * ever created, and a second creation of one attempt's Job could only show up as a second uid.
 */
export class SimJobs {
  readonly batch: BatchV1Api;
  private readonly uids = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(kubeConfig: KubeConfig) {
    this.batch = kubeConfig.makeApiClient(BatchV1Api);
  }

  async jobs(): Promise<V1Job[]> {
    const list = await this.batch.listJobForAllNamespaces({ labelSelector: 'app.kubernetes.io/managed-by=kubedispatch' });
    for (const job of list.items) {
      const set = this.uids.get(attemptOf(job)) ?? new Set<string>();
      set.add(job.metadata?.uid ?? '');
      this.uids.set(attemptOf(job), set);
    }
    return list.items;
  }

  /** Every uid seen per attempt (blockRunId:attempt) so far. */
  seenUids(): Map<string, Set<string>> {
    return this.uids;
  }

  /** Records an outcome for each finished Job, as the watcher would. */
  playWatcher(store: RunStore, onError: (error: Error) => void = () => undefined): void {
    const tick = async () => {
      try {
        for (const job of await this.jobs()) {
          const finished = job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
          if (!finished) continue;
          const labels = job.metadata?.labels ?? {};
          await store.recordOutcome(
            { blockRunId: Number(labels[BLOCK_RUN_ID]), attempt: Number(labels[ATTEMPT]) },
            { succeeded: finished.type === 'Complete', reason: finished.reason ?? finished.type, message: finished.message ?? '', finishedAt: Date.now() },
          );
        }
      } catch (thrown) {
        onError(toError(thrown));
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), 25);
    };
    void tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
