import { createHash } from 'node:crypto';

/** What loading a run gives: its project snapshot, and what else the run contributes. */
export interface LoadedRun<S, R> {
  snapshot: S;
  rest: R;
}

export interface RunSnapshotCacheLimits {
  /** Runs kept at most. */
  maxRuns: number;
  /** Total JSON size (UTF-16 code units) of the distinct snapshots kept; the run in use is kept even when its snapshot alone is larger. */
  maxSnapshotChars: number;
}

interface RunEntry<S, R> {
  loaded: Promise<LoadedRun<S, R>>;
  /** Content key of its snapshot, once loaded and counted. */
  snapshotKey?: string;
}

interface SharedSnapshot<S> {
  snapshot: S;
  chars: number;
  /** Cached runs that hold it. */
  runs: number;
}

/**
 * Recently used runs by id, least recently used first. Runs triggered from the same project files
 * share one parsed snapshot (keyed by a hash of its content), and the snapshots kept are bounded
 * by their total size as well as the runs by count: a count alone would let 200 runs of a
 * 10,000-block pipeline hold 200 parsed copies.
 */
export class RunSnapshotCache<S, R> {
  readonly #load: (runId: number) => Promise<LoadedRun<S, R>>;
  readonly #limits: RunSnapshotCacheLimits;
  readonly #runs = new Map<number, RunEntry<S, R>>();
  readonly #snapshots = new Map<string, SharedSnapshot<S>>();
  #chars = 0;

  constructor(load: (runId: number) => Promise<LoadedRun<S, R>>, limits: RunSnapshotCacheLimits) {
    this.#load = load;
    this.#limits = limits;
  }

  /** Runs cached, distinct snapshots and their total JSON size: what the limits bound. */
  get usage(): { runs: number; snapshots: number; snapshotChars: number } {
    return { runs: this.#runs.size, snapshots: this.#snapshots.size, snapshotChars: this.#chars };
  }

  get(runId: number): Promise<LoadedRun<S, R>> {
    const cached = this.#runs.get(runId);
    if (cached) {
      this.#runs.delete(runId);
      this.#runs.set(runId, cached);
      return cached.loaded;
    }
    const entry: RunEntry<S, R> = {
      loaded: this.#load(runId).then((loaded) => this.#share(runId, entry, loaded)),
    };
    // Forget failures: a Redis hiccup must not stick.
    entry.loaded.catch(() => {
      if (this.#runs.get(runId) === entry) this.#runs.delete(runId);
    });
    this.#runs.set(runId, entry);
    this.#evict(runId);
    return entry.loaded;
  }

  #share(runId: number, entry: RunEntry<S, R>, loaded: LoadedRun<S, R>): LoadedRun<S, R> {
    const json = JSON.stringify(loaded.snapshot);
    const key = createHash('sha256').update(json).digest('base64url');
    const known = this.#snapshots.get(key);
    // Evicted while it loaded: used by whoever waits for it, not kept.
    if (this.#runs.get(runId) !== entry) return known ? { ...loaded, snapshot: known.snapshot } : loaded;
    const shared = known ?? { snapshot: loaded.snapshot, chars: json.length, runs: 0 };
    if (!known) {
      this.#snapshots.set(key, shared);
      this.#chars += shared.chars;
    }
    shared.runs += 1;
    entry.snapshotKey = key;
    this.#evict(runId);
    return { ...loaded, snapshot: shared.snapshot };
  }

  /** Drops the least recently used runs (never `keep`) until both limits hold. */
  #evict(keep: number): void {
    for (const [runId, entry] of this.#runs) {
      if (this.#runs.size <= this.#limits.maxRuns && this.#chars <= this.#limits.maxSnapshotChars) return;
      if (runId !== keep) this.#drop(runId, entry);
    }
  }

  #drop(runId: number, entry: RunEntry<S, R>): void {
    this.#runs.delete(runId);
    if (entry.snapshotKey === undefined) return;
    const shared = this.#snapshots.get(entry.snapshotKey) as SharedSnapshot<S>;
    shared.runs -= 1;
    if (shared.runs === 0) {
      this.#snapshots.delete(entry.snapshotKey);
      this.#chars -= shared.chars;
    }
  }
}
