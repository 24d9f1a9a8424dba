import type { Queue } from 'bullmq';
import { enqueueBlockRuns, type BlockRunJobData } from './block-run-queue.ts';
import type { RunStore } from './run-store.ts';

/**
 * Moves a run forward and enqueues what became ready; when that finished the run, starts the
 * pipeline's waiting runs its pipeline_run_limit now allows. Every step is idempotent, so calling
 * this again after a crash anywhere in between repairs the run instead of duplicating work.
 */
export async function advanceAndEnqueue(store: RunStore, queue: Queue<BlockRunJobData>, runId: number): Promise<void> {
  const result = await store.advanceRun(runId);
  await enqueueBlockRuns(queue, runId, result.pipelineUuid, result.enqueue);
  if (result.finished) await promoteAndStart(store, queue, result.pipelineUuid);
}

/** Starts waiting runs of a pipeline that its limit allows, and enqueues their first blocks. */
export async function promoteAndStart(
  store: RunStore,
  queue: Queue<BlockRunJobData>,
  pipelineUuid: string,
): Promise<number[]> {
  const started = await store.promoteWaitingRuns(pipelineUuid);
  for (const runId of started) await advanceAndEnqueue(store, queue, runId);
  return started;
}
