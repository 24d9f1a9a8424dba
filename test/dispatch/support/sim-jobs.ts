import { BatchV1Api, Watch, type V1Job } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import type { RunStore } from '../../../src/runs/run-store.ts';
import { toError } from '../../../src/errors/to-error.ts';
import { ATTEMPT_LABEL as ATTEMPT, BLOCK_RUN_ID_LABEL as BLOCK_RUN_ID } from '../../../src/render/identity.ts';

// Every installation's Jobs: each test has a Redis prefix of its own, and Jobs are told apart by attempt.
const SELECTOR = 'app.kubernetes.io/managed-by=kubedispatch';

export function attemptOf(job: V1Job): string {
  return `${job.metadata?.labels?.[BLOCK_RUN_ID]}:${job.metadata?.labels?.[ATTEMPT]}`;
}

/**
 * Reads Jobs from the simulated cluster and counts every Job ever created per attempt (by uid,
 * from a watch, so Jobs the real watcher deletes are counted too). It can also play the watcher:
 * record the outcome of every finished Job, never deleting any.
 */
export class SimJobs {
  readonly batch: BatchV1Api;
  private readonly uids = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private watch: AbortController | undefined;
  private readonly kubeConfig: KubeConfig;

  constructor(kubeConfig: KubeConfig) {
    this.batch = kubeConfig.makeApiClient(BatchV1Api);
    this.kubeConfig = kubeConfig;
  }

  /** Starts counting creations; call before any Job is created. */
  async recordCreations(): Promise<void> {
    // The client ends a watch after 30 s without events: resume it from the last version seen.
    const resume = async (resourceVersion: string | undefined): Promise<void> => {
      if (this.stopped) return;
      let version = resourceVersion;
      this.watch = await new Watch(this.kubeConfig).watch(
        '/apis/batch/v1/jobs',
        { labelSelector: SELECTOR, resourceVersion: version },
        (type, job: V1Job) => {
          version = job.metadata?.resourceVersion ?? version;
          if (type === 'ADDED') this.seen(job);
        },
        () => void resume(version).catch(() => undefined),
      );
    };
    const list = await this.batch.listJobForAllNamespaces({ labelSelector: SELECTOR });
    for (const job of list.items) this.seen(job);
    await resume(list.metadata?.resourceVersion);
  }

  private seen(job: V1Job): void {
    const set = this.uids.get(attemptOf(job)) ?? new Set<string>();
    set.add(job.metadata?.uid ?? '');
    this.uids.set(attemptOf(job), set);
  }

  async jobs(): Promise<V1Job[]> {
    const list = await this.batch.listJobForAllNamespaces({ labelSelector: SELECTOR });
    for (const job of list.items) this.seen(job);
    return list.items;
  }

  /** Every uid seen per attempt (blockRunId:attempt) so far. */
  seenUids(): Map<string, Set<string>> {
    return this.uids;
  }

  /**
   * Records an outcome for each finished Job, as the watcher would: only for Jobs a dispatcher
   * recorded as an attempt's (a Job of someone else with the same name is never its outcome).
   */
  playWatcher(store: RunStore, onError: (error: Error) => void = () => undefined): void {
    const tick = async () => {
      try {
        const active = new Set(
          (await store.activeAttempts()).map(
            (attempt) => `${attempt.namespace}/${attempt.jobName}:${attempt.blockRunId}:${attempt.attempt}`,
          ),
        );
        for (const job of await this.jobs()) {
          const finished = job.status?.conditions?.find(
            (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
          );
          if (!finished || !active.has(`${job.metadata?.namespace}/${job.metadata?.name}:${attemptOf(job)}`)) continue;
          const labels = job.metadata?.labels ?? {};
          await store.recordOutcome(
            { blockRunId: Number(labels[BLOCK_RUN_ID]), attempt: Number(labels[ATTEMPT]) },
            {
              succeeded: finished.type === 'Complete',
              reason: finished.reason ?? finished.type,
              message: finished.message ?? '',
              finishedAt: Date.now(),
            },
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
    this.watch?.abort();
    if (this.timer) clearTimeout(this.timer);
  }
}
