import type { Redis } from 'ioredis';
import { toError } from '../errors/to-error.ts';
import type { Cluster } from '../k8s/cluster.ts';
import type { Logger } from '../observability/logger.ts';
import { readEpoch } from '../runs/epoch.ts';
import type { RunStore } from '../runs/run-store.ts';
import { orphanJobsDeletedTotal, orphanJobsTotal } from './metrics.ts';
import type { ObjectCache } from './object-cache.ts';
import type { SlimJob } from './slim-objects.ts';

/** Why a Job is nobody's any more. */
export type OrphanCause = 'other-epoch' | 'run-missing';

export interface OrphanJobsDeps {
  /** The watcher's own connection: first sightings are kept there, so a new actor reports nothing twice. */
  redis: Redis;
  prefix: string;
  runStore: Pick<RunStore, 'epoch' | 'existingRuns'>;
  cache: ObjectCache;
  cluster: Cluster;
  acting: () => boolean;
  /** Whether every watched namespace has been listed (only then can a Job be known to be gone). */
  synced: () => boolean;
  /** `watcher.orphanGraceMs`: how long an orphan is left for an operator to look at before it is deleted. */
  graceMs: number;
  logger: Logger;
  now: () => number;
}

/** Hash Job uid → when the acting watcher first saw it orphaned (ms). */
export function orphansKey(prefix: string): string {
  return `${prefix}:watcher:orphans`;
}

export const ORPHAN_EVENT_REASON = 'OrphanedJob';
/** The `source.component` of the Events the watcher records. */
const EVENT_SOURCE = 'kubedispatch-watcher';

/**
 * Finds this installation's Jobs whose run no longer exists: made in an earlier life of Redis
 * (another epoch label: Redis lost its data since), or whose run record is gone (pruned, or lost).
 * Their outcomes can decide nothing (the reconciler leaves them alone); each is reported once
 * (a warning naming the lost run, the `kubedispatch_watcher_orphan_jobs_total` metric, a Warning
 * Event on the Job) and deleted after the grace.
 */
export class OrphanJobs {
  readonly #deps: OrphanJobsDeps;
  /** Uids this watcher deleted: their first sightings stay until the Job has left the cache, so a Job still being deleted is not reported again. */
  readonly #deleted = new Set<string>();

  constructor(deps: OrphanJobsDeps) {
    this.#deps = deps;
  }

  /** True when `job` was made by another life of Redis than `epoch` (a Job from before epochs has none). */
  static ofOtherEpoch(job: SlimJob, epoch: string): boolean {
    return job.epoch !== epoch;
  }

  async runOnce(): Promise<void> {
    const { runStore, cache, acting } = this.#deps;
    if (!acting()) return;
    const epoch = await runStore.epoch();
    // Passes over the cache that keep only run ids and orphans: with 100,000 Jobs, arrays and
    // sets of every Job made each sweep were megabytes that outlived young collections (they
    // span the awaits below) and piled up in the old generation between full collections.
    const runIds = new Set<number>();
    for (const job of cache.liveJobs()) {
      if (!OrphanJobs.ofOtherEpoch(job, epoch) && job.runId !== undefined) runIds.add(job.runId);
    }
    const existing = await runStore.existingRuns([...runIds]);
    // Redis lost its data since this watcher started: every run looks missing, and first sightings
    // written now would land in the new life. The process is stopping (epoch guard); do nothing.
    if ((await readEpoch(this.#deps.redis, this.#deps.prefix)) !== epoch) return;
    const orphans: { job: SlimJob; cause: OrphanCause }[] = [];
    for (const job of cache.liveJobs()) {
      if (OrphanJobs.ofOtherEpoch(job, epoch)) orphans.push({ job, cause: 'other-epoch' });
      // A run id first seen after the check above is checked next time.
      else if (job.runId !== undefined && runIds.has(job.runId) && !existing.has(job.runId))
        orphans.push({ job, cause: 'run-missing' });
    }
    await this.#handle(orphans, epoch);
    await this.#forgetGone();
  }

  async #handle(orphans: { job: SlimJob; cause: OrphanCause }[], epoch: string): Promise<void> {
    const { redis, prefix, graceMs, logger, now } = this.#deps;
    const lostRuns = new Set<number>();
    for (const { job, cause } of orphans) {
      if (!this.#deps.acting()) return;
      const at = now();
      const firstSeen =
        (await redis.hsetnx(orphansKey(prefix), job.uid, String(at))) === 1
          ? undefined
          : Number(await redis.hget(orphansKey(prefix), job.uid));
      if (firstSeen === undefined) {
        await this.#report(job, cause, epoch);
        if (cause === 'other-epoch' && job.runId !== undefined) lostRuns.add(job.runId);
      }
      if (at - (firstSeen ?? at) < graceMs || this.#deleted.has(job.uid)) continue;
      await this.#deps.cluster.deleteJob(job.namespace, job.name);
      this.#deleted.add(job.uid);
      orphanJobsDeletedTotal.inc({ cause });
      logger.info(
        { job: `${job.namespace}/${job.name}`, cause, graceMs },
        'orphaned Job deleted after the grace (watcher.orphanGraceMs)',
      );
    }
    if (lostRuns.size > 0) {
      logger.error(
        { lostRunIds: [...lostRuns].sort((a, b) => a - b), epoch },
        'runs of an earlier life of Redis were lost with its data (their Jobs are left from it): they are not in Redis any more and will not finish; trigger them again if needed',
      );
    }
  }

  async #report(job: SlimJob, cause: OrphanCause, epoch: string): Promise<void> {
    const { cluster, logger } = this.#deps;
    const where = `${job.namespace}/${job.name}`;
    const message =
      cause === 'other-epoch'
        ? `this Job was created in an earlier life of Redis (epoch ${job.epoch ?? 'none'}, now ${epoch}): Redis lost its data since, with pipeline run ${job.runId ?? '?'}; nothing decides this Job any more and the watcher deletes it after watcher.orphanGraceMs`
        : `pipeline run ${job.runId} of this Job no longer exists in Redis (pruned after runs.retentionMs, or lost); the watcher deletes the Job after watcher.orphanGraceMs`;
    orphanJobsTotal.inc({ cause });
    logger.warn(
      { job: where, cause, runId: job.runId, blockRunId: job.attempt?.blockRunId, jobEpoch: job.epoch, epoch },
      `orphaned Job: ${message}`,
    );
    await cluster
      .warnOnJob(job.namespace, job, { reason: ORPHAN_EVENT_REASON, message, component: EVENT_SOURCE })
      .catch((thrown: unknown) => {
        logger.warn(
          { job: where, err: toError(thrown) },
          'could not record the OrphanedJob event (the watcher needs create on events)',
        );
      });
  }

  /** Drops first sightings of Jobs that are gone, once the cache holds complete lists. */
  async #forgetGone(): Promise<void> {
    const { redis, prefix, cache, synced } = this.#deps;
    if (!synced()) return;
    const gone = new Set(await redis.hkeys(orphansKey(prefix)));
    const deletedGone = new Set(this.#deleted);
    if (gone.size === 0 && deletedGone.size === 0) return;
    for (const job of cache.liveJobs()) {
      gone.delete(job.uid);
      deletedGone.delete(job.uid);
    }
    if (gone.size > 0) await redis.hdel(orphansKey(prefix), ...gone);
    for (const uid of deletedGone) this.#deleted.delete(uid);
  }
}
