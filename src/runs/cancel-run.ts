import type { Queue } from 'bullmq';
import { removeUnclaimedBlockRuns, type BlockRunJobData } from './block-run-queue.ts';
import type { CancelledGo, CancelledRunState, RunStore } from './run-store.ts';
import type { RunWithBlocks } from './types.ts';
import { promoteAndStart } from './advance-run.ts';

/** Deletes one Job (propagation Background, so its pods go too); a Job already gone is not an error. */
export type JobDeleter = (namespace: string, name: string) => Promise<void>;

export interface RunCanceller {
  store: RunStore;
  blockQueue: Queue<BlockRunJobData>;
  deleteJob: JobDeleter;
  now?: () => number;
}

export interface CancelReport {
  /** False when the run does not exist. */
  found: boolean;
  /** True when this call cancelled it; false when it had already finished or been cancelled. */
  cancelled: boolean;
  /** `namespace/name` of the Jobs deleted (or found already gone). */
  deletedJobs: string[];
}

/** The cancelled goes of a run a cancel (with `reason`, ending it `finalState`) stopped, when it is still stopped. */
function stoppedGoes(run: RunWithBlocks, reason: string, finalState: CancelledRunState): CancelledGo[] {
  // A failed run's blocks were cancelled only when a cancel (this one's earlier call) stopped it.
  if (run.state !== finalState || (finalState === 'failed' && run.reason !== reason)) return [];
  return run.blocks
    .filter((block) => block.state === 'cancelled')
    .map((block) => ({
      blockUuid: block.blockUuid,
      blockRunId: block.blockRunId,
      attempt: block.attempt,
      attemptBase: block.attemptBase ?? 0,
      generation: block.retryGeneration ?? 0,
      jobName: block.jobName ?? '',
      namespace: block.namespace ?? '',
    }));
}

/**
 * Cancels a run: the run store marks it and its unfinished blocks cancelled, then each attempt's
 * Job is deleted and a `cancelled` outcome recorded so dispatchers waiting on it let go, then queue
 * jobs no dispatcher holds are removed and the pipeline's waiting runs may start. Repeating it on a
 * cancelled run redoes the cleanup (Job deletion and outcomes are idempotent), which finishes a
 * cancel interrupted by a crash.
 */
export async function cancelPipelineRun(
  canceller: RunCanceller,
  runId: number,
  reason = 'Cancelled by user',
  finalState: CancelledRunState = 'cancelled',
): Promise<CancelReport> {
  const { store, blockQueue, deleteJob } = canceller;
  const now = canceller.now ?? Date.now;
  const result = await store.cancelRun(runId, reason, finalState);
  const run = await store.getRun(runId);
  if (!run) return { found: false, cancelled: false, deletedJobs: [] };
  const report: CancelReport = { found: true, cancelled: result.cancelled, deletedJobs: [] };
  // This call's script says which goes it ended: the run may have been retried since (read again,
  // it would show the retry's). A repeat redoes the cleanup from the run as it is, if still stopped.
  const goes = result.cancelled ? result.blocks : stoppedGoes(run, reason, finalState);
  for (const go of goes) {
    // No attempt in this go (since its latest retry, if any): no Job, and no one waiting.
    if (go.attempt <= go.attemptBase) continue;
    if (go.jobName && go.namespace) {
      await deleteJob(go.namespace, go.jobName);
      report.deletedJobs.push(`${go.namespace}/${go.jobName}`);
    }
    await store.recordOutcome(
      { blockRunId: go.blockRunId, attempt: go.attempt },
      { succeeded: false, cancelled: true, reason: 'Cancelled', message: reason, finishedAt: now() },
    );
  }
  await removeUnclaimedBlockRuns(blockQueue, goes);
  if (result.cancelled) await promoteAndStart(store, blockQueue, run.pipelineUuid);
  return report;
}
