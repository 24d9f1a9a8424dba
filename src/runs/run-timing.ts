import type { RunRecord } from './types.ts';

/**
 * When the run's latest go started: its start, or its latest retry (`retryRun`) when that came
 * later; undefined while it has not started. What a go's timeout and runtime count from.
 */
export function latestGoStartedAt(run: Pick<RunRecord, 'startedAt' | 'retriedAt'>): number | undefined {
  return run.startedAt === undefined ? undefined : Math.max(run.startedAt, run.retriedAt ?? 0);
}
