import type { Queue } from 'bullmq';
import type { BlockRunJobData } from './block-run-queue.ts';
import type { RunStore } from './run-store.ts';
import { advanceAndEnqueue } from './advance-run.ts';
import { planRun, type PlanContext, type RunRequest } from './run-plan.ts';

export interface RunCreator {
  store: RunStore;
  blockQueue: Queue<BlockRunJobData>;
  plan: PlanContext;
}

/**
 * Validates the whole run, creates it atomically, and enqueues its first blocks. Nothing reaches
 * Redis when validation fails; a crash after `createRun` leaves a complete run the sweep enqueues.
 * Returns the run id (the earlier run's id when the idempotency key was seen before).
 */
export async function createPipelineRun(creator: RunCreator, request: RunRequest): Promise<number> {
  const run = await planRun(creator.plan, request);
  const runId = await creator.store.createRun(run);
  await advanceAndEnqueue(creator.store, creator.blockQueue, runId);
  return runId;
}
