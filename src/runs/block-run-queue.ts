import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { retryDelaySeconds } from '../project/retry-config.ts';
import type { RetryPolicy } from './types.ts';
import { toError } from '../errors/to-error.ts';

export const BLOCK_RUN_QUEUE = 'block-runs';
export const BLOCK_RETRY_BACKOFF = 'block-retry';

/** Data of one queue job: one block run. Attempts of the block run are attempts of the queue job. */
export interface BlockRunJobData {
  runId: number;
  pipelineUuid: string;
  blockUuid: string;
  blockRunId: number;
  retry: RetryPolicy;
}

export interface BlockRunToEnqueue {
  blockUuid: string;
  blockRunId: number;
  maxAttempts: number;
  retry: RetryPolicy;
}

/** One queue job per block run, ever: re-adding the same block run is a no-op. */
export function blockRunJobId(blockRunId: number): string {
  return `br-${blockRunId}`;
}

export function createBlockRunQueue(connection: ConnectionOptions, prefix: string): Queue<BlockRunJobData> {
  return new Queue<BlockRunJobData>(BLOCK_RUN_QUEUE, { connection, prefix });
}

function jobOptions(block: BlockRunToEnqueue): JobsOptions {
  return {
    jobId: blockRunJobId(block.blockRunId),
    attempts: block.maxAttempts,
    backoff: { type: BLOCK_RETRY_BACKOFF },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
  };
}

/** Adds the block runs `advanceRun` reported as queued. Idempotent thanks to the job ids. */
export async function enqueueBlockRuns(
  queue: Queue<BlockRunJobData>,
  runId: number,
  pipelineUuid: string,
  blocks: readonly BlockRunToEnqueue[],
): Promise<void> {
  if (blocks.length === 0) return;
  await queue.addBulk(
    blocks.map((block) => ({
      name: block.blockUuid,
      data: { runId, pipelineUuid, blockUuid: block.blockUuid, blockRunId: block.blockRunId, retry: block.retry },
      opts: jobOptions(block),
    })),
  );
}

/**
 * Mage's retry_config as a BullMQ backoff: the delay Mage's own loop sleeps before the same retry
 * (`attemptsMade` = the retry about to happen). No cap is needed: the retries are already cut where
 * Mage's `max_delay` stops them (maxAttempts). Plugged into workers' `settings.backoffStrategy`.
 */
export function blockRetryDelayMs(retry: RetryPolicy, attemptsMade: number): number {
  return (
    retryDelaySeconds({ delay: retry.delaySeconds, exponentialBackoff: retry.exponentialBackoff }, attemptsMade) * 1000
  );
}

/** Queue states in which no dispatcher holds a job yet, so removing it cannot strand a Job. */
const UNCLAIMED_STATES: ReadonlySet<string> = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Removes the queue jobs of block runs that no dispatcher has taken yet (used when a run is
 * cancelled). Jobs a dispatcher holds are left alone: it learns of the cancellation itself.
 * Returns how many were removed.
 */
export async function removeUnclaimedBlockRuns(
  queue: Queue<BlockRunJobData>,
  blockRunIds: readonly number[],
): Promise<number> {
  let removed = 0;
  for (const blockRunId of blockRunIds) {
    const job = await queue.getJob(blockRunJobId(blockRunId));
    if (!job || !UNCLAIMED_STATES.has(await job.getState())) continue;
    try {
      await job.remove();
      removed++;
    } catch (thrown) {
      // A dispatcher took it between the two calls (its lock refuses removal); it will see the cancellation.
      if (!(await job.isActive())) throw toError(thrown);
    }
  }
  return removed;
}
