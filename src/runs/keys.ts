/**
 * Redis key layout of run state. The Lua scripts in ./lua build the same names from the prefix
 * (they must, to reach runs other than the one they were called for); keep both in step.
 */
export interface RunKeys {
  run(id: number): string;
  blocks(id: number): string;
  project(id: number): string;
  /** Queued blocks of the run not yet confirmed as added to the block-runs queue (see advance-run.lua). */
  unannounced(id: number): string;
  /**
   * Runs a trigger made that the scheduler follows until it sees them finished (their timeout and
   * SLA, and the unfinished runs `skip_if_previous_running`, `pipeline_run_limit` and `@always_on`
   * count), scored by execution date (ms): see scheduler/trigger-state.ts.
   */
  triggerRuns(triggerId: number): string;
  outcome(blockRunId: number, attempt: number): string;
  /** What the attempt's pod reported through the callback endpoint. */
  report(blockRunId: number, attempt: number): string;
  /** The installation's random key from which every attempt's callback secret is derived. */
  readonly callbackKey: string;
  readonly activeRuns: string;
  readonly allRuns: string;
  readonly activeAttempts: string;
  readonly outcomesChannel: string;
  /** Pub/sub channel on which every script that changes a run or its blocks publishes the run id (see run-changes.ts). */
  readonly changesChannel: string;
  /** The installation epoch (see epoch.ts). */
  readonly epoch: string;
}

export function runKeys(prefix: string): RunKeys {
  return {
    run: (id) => `${prefix}:run:${id}`,
    blocks: (id) => `${prefix}:run:${id}:blocks`,
    project: (id) => `${prefix}:run:${id}:project`,
    unannounced: (id) => `${prefix}:run:${id}:unannounced`,
    triggerRuns: (triggerId) => `${prefix}:trigger:${triggerId}:runs`,
    outcome: (blockRunId, attempt) => `${prefix}:outcome:${blockRunId}:${attempt}`,
    report: (blockRunId, attempt) => `${prefix}:report:${blockRunId}:${attempt}`,
    callbackKey: `${prefix}:callback:key`,
    activeRuns: `${prefix}:runs:active`,
    allRuns: `${prefix}:runs:all`,
    activeAttempts: `${prefix}:attempts:active`,
    outcomesChannel: `${prefix}:outcomes`,
    changesChannel: `${prefix}:run-changes`,
    epoch: `${prefix}:epoch`,
  };
}
