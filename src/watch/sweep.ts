import { toError } from '../errors/to-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { RunStore } from '../runs/run-store.ts';
import type { ActiveAttempt } from '../runs/types.ts';
import type { ClusterAccess } from './cluster-access.ts';
import { outcomesTotal } from './metrics.ts';
import type { ObjectCache } from './object-cache.ts';
import { jobKey } from './slim-objects.ts';

export interface SweepDeps {
  runStore: Pick<RunStore, 'activeAttempts' | 'getOutcome' | 'recordOutcome'>;
  cache: ObjectCache;
  cluster: ClusterAccess;
  acting: () => boolean;
  /** Whether the cache holds a complete list of `namespace` (false while listing, or not watched). */
  synced: (namespace: string) => boolean;
  /** Whether `namespace` is watched at all. */
  watches: (namespace: string) => boolean;
  enqueue: (key: string) => void;
  logger: Logger;
  now: () => number;
}

/**
 * Reconciles every active attempt with the cluster, for what events cannot tell: a Job deleted
 * out of band (or whose DELETED event was lost) fails with `JobDeleted`; a Job in the cache gets
 * a reconcile, which decides a finished Job whose outcome is missing and ends timeouts even when
 * no event arrives.
 */
export class Sweep {
  readonly #deps: SweepDeps;
  readonly #warnedNamespaces = new Set<string>();

  constructor(deps: SweepDeps) {
    this.#deps = deps;
  }

  async runOnce(): Promise<void> {
    const { runStore, cache, acting, enqueue } = this.#deps;
    if (!acting()) return;
    for (const attempt of await runStore.activeAttempts()) {
      const key = jobKey(attempt.namespace, attempt.jobName);
      if (cache.job(key)) enqueue(key);
      else await this.#checkMissing(attempt);
    }
  }

  async #checkMissing(attempt: ActiveAttempt): Promise<void> {
    const { runStore, cluster, acting, synced, watches, logger, now } = this.#deps;
    const { namespace, jobName } = attempt;
    if (!watches(namespace)) {
      if (!this.#warnedNamespaces.has(namespace))
        logger.warn(
          { namespace },
          'block runs have Jobs in a namespace the watcher does not watch (kube.namespaces): their outcomes cannot be decided',
        );
      this.#warnedNamespaces.add(namespace);
      return;
    }
    if (!synced(namespace) || (await runStore.getOutcome(attempt))) return;
    try {
      // The cache may lag behind a Job created a moment ago: only the API can confirm it is gone.
      if (await cluster.jobExists(namespace, jobName)) return;
    } catch (thrown) {
      logger.warn(
        { err: toError(thrown), job: `${namespace}/${jobName}` },
        'sweep could not check a Job; trying again next sweep',
      );
      return;
    }
    if (!acting()) return;
    const outcome = {
      succeeded: false,
      reason: 'JobDeleted',
      message: `Job ${namespace}/${jobName} was deleted before it finished (by someone else, or it was garbage-collected before its outcome was seen)`,
      finishedAt: now(),
    };
    if (await runStore.recordOutcome(attempt, outcome)) {
      outcomesTotal.inc({ result: 'failed', reason: outcome.reason });
      logger.warn(
        { job: `${namespace}/${jobName}`, blockRunId: attempt.blockRunId, attempt: attempt.attempt },
        outcome.message,
      );
    }
  }
}
