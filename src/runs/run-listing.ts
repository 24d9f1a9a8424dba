import type { RunStore } from './run-store.ts';
import type { RunRecord, RunState } from './types.ts';

/** Which runs a listing shows: every field given must match. */
export interface RunFilter {
  pipeline?: string;
  trigger?: string;
  /** Any of these states. */
  states?: readonly RunState[];
  /**
   * Only runs after this one in the index (most recent first): the `next` of an earlier page. A
   * run no longer stored (pruned, or never made) stands for the runs with smaller ids.
   */
  before?: number;
}

/** What a listing is asked for: which runs, how many at most. */
export interface RunListingQuery {
  filter: RunFilter;
  limit: number;
}

export interface RunListing {
  /** Most recent first. */
  runs: RunRecord[];
  /** The `before` of the next page; absent when the index ended within this one. */
  next?: number;
  /** How many runs of the index this listing looked at. */
  scanned: number;
}

/** The most runs one listing reads, however few of them match: its cost never grows with the runs stored. */
export const MAX_RUNS_SCANNED = 5000;
/** Run records per read of the index. */
const BATCH = 500;

function matches(run: RunRecord, filter: RunFilter): boolean {
  return (
    (filter.pipeline === undefined || run.pipelineUuid === filter.pipeline) &&
    (filter.trigger === undefined || run.trigger === filter.trigger) &&
    (filter.states === undefined || filter.states.includes(run.state))
  );
}

/**
 * Up to `limit` runs matching `filter`, walking the index of all runs most recent first in
 * batches, and stopping after `maxScanned` runs looked at even when fewer matched (the page then
 * says how far it searched).
 */
export async function listRuns(
  store: RunStore,
  filter: RunFilter,
  limit: number,
  maxScanned = MAX_RUNS_SCANNED,
): Promise<RunListing> {
  const { before } = filter;
  const position = before === undefined ? undefined : await store.runIndexPosition(before);
  // The index is ordered by creation time: from a run it still has, the next page starts right
  // after it; from one it has not, runs are told apart by id.
  const idBound = before !== undefined && position === undefined ? before : undefined;
  let start = position === undefined ? 0 : position + 1;
  const runs: RunRecord[] = [];
  let scanned = 0;
  let last: number | undefined;
  while (runs.length < limit && scanned < maxScanned) {
    const count = Math.min(BATCH, maxScanned - scanned);
    const ids = await store.runIdsNewestFirst(start, count);
    const records = await store.getRunRecords(ids);
    for (const [index, id] of ids.entries()) {
      scanned += 1;
      last = id;
      const run = records[index];
      if (run && (idBound === undefined || id < idBound) && matches(run, filter)) runs.push(run);
      if (runs.length === limit) break;
    }
    if (ids.length < count && runs.length < limit) return { runs, scanned };
    start += ids.length;
  }
  return { runs, scanned, ...(last === undefined ? {} : { next: last }) };
}
