import type { Queue } from 'bullmq';
import { toError } from '../errors/to-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { BlockRunJobData } from './block-run-queue.ts';
import type { RunStore } from './run-store.ts';
import { advanceAndEnqueue, promoteAndStart } from './advance-run.ts';

export interface SweepReport {
  advanced: number;
  /** Waiting runs started because their pipeline had room again. */
  promoted: number[];
}

/**
 * Repairs whatever a crash left between steps: re-advances every running run, re-adding the queued
 * blocks never confirmed as enqueued (a no-op for those that were, thanks to stable job ids), and
 * starts waiting runs their pipeline_run_limit now
 * allows. Idempotent; one broken run is logged and skipped, never stops the sweep.
 */
export async function sweepRuns(store: RunStore, queue: Queue<BlockRunJobData>, logger: Logger): Promise<SweepReport> {
  const report: SweepReport = { advanced: 0, promoted: [] };
  const waitingPipelines = new Set<string>();
  for (const runId of await store.activeRunIds()) {
    try {
      const run = await store.getRunRecord(runId);
      if (run?.state === 'waiting') waitingPipelines.add(run.pipelineUuid);
      if (run?.state !== 'running') continue;
      await advanceAndEnqueue(store, queue, runId, { repair: true });
      report.advanced++;
    } catch (thrown) {
      logger.error({ runId, err: toError(thrown).message }, 'sweep could not advance run');
    }
  }
  for (const pipelineUuid of waitingPipelines) {
    try {
      report.promoted.push(...(await promoteAndStart(store, queue, pipelineUuid)));
    } catch (thrown) {
      logger.error({ pipelineUuid, err: toError(thrown).message }, 'sweep could not promote waiting runs');
    }
  }
  return report;
}
