import type { Logger } from '../observability/logger.ts';
import { CoalescedReads } from './coalesced-reads.ts';
import { ANY_RUN, type RunChanges } from './run-changes.ts';
import { listRuns, type RunListing, type RunListingQuery } from './run-listing.ts';
import type { RunStore } from './run-store.ts';
import type { RunWithBlocks } from './types.ts';

export interface RunWatcherOptions {
  /** One read of a changing run per this long, shared by everyone watching it. */
  runWindowMs?: number;
  /** One listing per this long while any run changes, shared by everyone watching the same listing. */
  listWindowMs?: number;
}

export const RUN_WINDOW_MS = 250;
export const LIST_WINDOW_MS = 1000;

/**
 * Follows runs and run listings for live views over the run change feed: each watched run (each
 * distinct listing) is read at most once per window while it changes, whatever the number of
 * watchers, and all are read again after the feed may have missed changes (a reconnect).
 */
export class RunWatcher {
  readonly #runs: CoalescedReads<number, RunWithBlocks | undefined>;
  readonly #listings: CoalescedReads<string, RunListing>;
  readonly #stopFeed: () => void;

  constructor(store: RunStore, changes: RunChanges, logger: Logger, options: RunWatcherOptions = {}) {
    this.#runs = new CoalescedReads((runId) => store.getRun(runId), options.runWindowMs ?? RUN_WINDOW_MS, logger);
    // Listings are keyed by their JSON text, so that watchers of the same listing share its reads.
    this.#listings = new CoalescedReads(
      (key) => {
        const listing = JSON.parse(key) as RunListingQuery;
        return listRuns(store, listing.filter, listing.limit);
      },
      options.listWindowMs ?? LIST_WINDOW_MS,
      logger,
    );
    this.#stopFeed = changes.onRunChange((change) => {
      if (change === ANY_RUN) this.#runs.changedAll();
      else this.#runs.changed(change);
      this.#listings.changedAll();
    });
  }

  /** Hands `listener` the run (undefined once it is gone) after each window in which it changed. */
  watchRun(runId: number, listener: (run: RunWithBlocks | undefined) => void): () => void {
    return this.#runs.watch(runId, listener);
  }

  /** Hands `listener` the listing after each window in which any run changed. */
  watchListing(listing: RunListingQuery, listener: (listing: RunListing) => void): () => void {
    return this.#listings.watch(JSON.stringify({ filter: listing.filter, limit: listing.limit }), listener);
  }

  close(): void {
    this.#stopFeed();
    this.#runs.close();
    this.#listings.close();
  }
}
