import type { Queue } from 'bullmq';
import { removeUnclaimedBlockRuns, type BlockRunJobData } from './block-run-queue.ts';
import type { CancelledRunState, RunStore } from './run-store.ts';
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
  // A failed run's blocks were cancelled only when this call (or a replay of it) stopped it.
  if (run.state !== finalState || (finalState === 'failed' && !result.cancelled && run.reason !== reason))
    return report;
  const cancelledBlocks = run.blocks.filter((block) => block.state === 'cancelled');
  for (const block of cancelledBlocks) {
    // No attempt in this go (since its latest retry, if any): no Job, and no one waiting.
    if (block.attempt <= (block.attemptBase ?? 0)) continue;
    if (block.jobName && block.namespace) {
      await deleteJob(block.namespace, block.jobName);
      report.deletedJobs.push(`${block.namespace}/${block.jobName}`);
    }
    await store.recordOutcome(
      { blockRunId: block.blockRunId, attempt: block.attempt },
      { succeeded: false, cancelled: true, reason: 'Cancelled', message: reason, finishedAt: now() },
    );
  }
  await removeUnclaimedBlockRuns(
    blockQueue,
    cancelledBlocks.map((block) => ({ blockRunId: block.blockRunId, generation: block.retryGeneration ?? 0 })),
  );
  if (result.cancelled) await promoteAndStart(store, blockQueue, run.pipelineUuid);
  return report;
}
