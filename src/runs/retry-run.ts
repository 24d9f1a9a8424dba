import type { Queue } from 'bullmq';
import type { BlockRunJobData } from './block-run-queue.ts';
import type { RunStore } from './run-store.ts';
import { advanceAndEnqueue } from './advance-run.ts';

/** What retrying needs: no cluster, as nothing is deleted (a RunCanceller has it all). */
export interface RunRetrier {
  store: RunStore;
  blockQueue: Queue<BlockRunJobData>;
}

export type RetryRefusal = 'run_not_finished' | 'nothing_to_retry';

export type RetryReport =
  | { found: false }
  | { found: true; retried: true; blocks: string[] }
  | { found: true; retried: false; refusal: RetryRefusal; message: string };

/**
 * Retries a finished run's blocks that did not get done, in place (Mage's "retry incomplete
 * blocks"): the run store puts them back to pending, then the run is advanced so that its ready
 * blocks are enqueued, each as a new queue job with attempt numbers continuing its earlier ones.
 * A crash between the two steps is repaired by the sweep, which advances every running run.
 */
export async function retryPipelineRun(retrier: RunRetrier, runId: number): Promise<RetryReport> {
  const result = await retrier.store.retryRun(runId);
  switch (result.result) {
    case 'missing':
      return { found: false };
    case 'not_finished':
      return {
        found: true,
        retried: false,
        refusal: 'run_not_finished',
        message: `run ${runId} is ${result.state}: only a failed or cancelled run can be retried (wait for it to finish, or cancel it)`,
      };
    case 'nothing_to_retry':
      return {
        found: true,
        retried: false,
        refusal: 'nothing_to_retry',
        message: `run ${runId} is ${result.state} and every block of it is done (succeeded or condition_failed): nothing to retry`,
      };
    case 'retried':
      await advanceAndEnqueue(retrier.store, retrier.blockQueue, runId);
      return { found: true, retried: true, blocks: result.blocks };
  }
}
