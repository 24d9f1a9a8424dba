import type { RunStore } from './run-store.ts';

export interface PruneOptions {
  /** Runs that finished this long ago or longer are deleted. */
  olderThanMs: number;
  now: number;
  dryRun?: boolean;
  /** Runs looked at per Redis script call (each call is atomic and short). */
  batchSize?: number;
  /** Called after each batch, for progress reports. */
  progress?: (done: PruneProgress) => void;
}

export interface PruneProgress {
  /** Index entries looked at so far. */
  scanned: number;
  /** Runs deleted (or, in a dry run, that would be) so far. */
  deleted: number;
  /** Index entries old enough to look at, when the prune started. */
  total: number;
}

const DEFAULT_BATCH = 200;

/**
 * Deletes every finished run (and all it owns) that finished `olderThanMs` ago or longer, in
 * batches, so that Redis is never blocked for long. Runs still waiting or running are kept
 * whatever their age. Used by the scheduler's retention loop and by `kubedispatch prune`.
 */
export async function pruneFinishedRuns(store: RunStore, options: PruneOptions): Promise<PruneProgress> {
  const cutoff = options.now - options.olderThanMs;
  const batch = options.batchSize ?? DEFAULT_BATCH;
  const done: PruneProgress = { scanned: 0, deleted: 0, total: await store.countRunsCreatedBy(cutoff) };
  let offset = 0;
  for (;;) {
    const result = await store.pruneBatch(cutoff, offset, batch, options.dryRun);
    done.scanned += result.scanned;
    done.deleted += result.deleted.length;
    // Deleted entries leave the index; kept ones (or all, in a dry run) are skipped next time.
    offset += result.kept;
    options.progress?.({ ...done });
    if (result.scanned < batch) return done;
  }
}
