import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { retryDelaySeconds } from '../project/retry-config.ts';
import type { RetryPolicy } from './types.ts';
import { toError } from '../errors/to-error.ts';

export const BLOCK_RUN_QUEUE = 'block-runs';
export const BLOCK_RETRY_BACKOFF = 'block-retry';

/**
 * Data of one queue job: one go of one block run (its first, or one after a retry of its run).
 * Attempts of the go are attempts of the queue job, numbered on from `attemptBase`.
 */
export interface BlockRunJobData {
  runId: number;
  pipelineUuid: string;
  blockUuid: string;
  blockRunId: number;
  retry: RetryPolicy;
  /** The block's retry generation this job runs (BlockRunRecord.retryGeneration); absent in jobs queued before retries existed: 0. */
  generation?: number;
  /** Attempts made before this go (BlockRunRecord.attemptBase); absent: 0. */
  attemptBase?: number;
}

export interface BlockRunToEnqueue {
  blockUuid: string;
  blockRunId: number;
  maxAttempts: number;
  retry: RetryPolicy;
  /** The block's retry generation (its queue job's) and the attempts made before this go. */
  generation: number;
  attemptBase: number;
}

/** Which go of which block run a queue job is. */
export interface BlockRunGo {
  blockRunId: number;
  generation: number;
}

/**
 * One queue job per go of a block run: re-adding the same go is a no-op, and a retried block run
 * gets a new job (the failed one stays, as BullMQ keeps failed jobs).
 */
export function blockRunJobId(go: BlockRunGo): string {
  return go.generation === 0 ? `br-${go.blockRunId}` : `br-${go.blockRunId}-r${go.generation}`;
}

/** The attempt number a processing of `job` dispatches: BullMQ counts the attempts of this go only. */
export function attemptOfJob(data: BlockRunJobData, attemptsMade: number): number {
  return (data.attemptBase ?? 0) + attemptsMade + 1;
}

export function createBlockRunQueue(connection: ConnectionOptions, prefix: string): Queue<BlockRunJobData> {
  return new Queue<BlockRunJobData>(BLOCK_RUN_QUEUE, { connection, prefix });
}

function jobOptions(block: BlockRunToEnqueue): JobsOptions {
  return {
    jobId: blockRunJobId(block),
    attempts: block.maxAttempts,
    backoff: { type: BLOCK_RETRY_BACKOFF },
    // A failed job's card shows the block run's reason (the processor's message), not kubedispatch's stack.
    stackTraceLimit: 0,
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
      data: {
        runId,
        pipelineUuid,
        blockUuid: block.blockUuid,
        blockRunId: block.blockRunId,
        retry: block.retry,
        generation: block.generation,
        attemptBase: block.attemptBase,
      },
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
 * Removes the queue jobs of the current goes of block runs that no dispatcher has taken yet (used
 * when a run is cancelled). Jobs a dispatcher holds are left alone: it learns of the cancellation itself.
 * Returns how many were removed.
 */
export async function removeUnclaimedBlockRuns(
  queue: Queue<BlockRunJobData>,
  goes: readonly BlockRunGo[],
): Promise<number> {
  let removed = 0;
  for (const go of goes) {
    const job = await queue.getJob(blockRunJobId(go));
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
