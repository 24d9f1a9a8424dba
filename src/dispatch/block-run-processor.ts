import { DelayedError, RateLimitError, UnrecoverableError, type Job, type Queue } from 'bullmq';
import { ConfigError } from '../errors/config-problem.ts';
import { toError } from '../errors/to-error.ts';
import { KubeApiError } from '../k8s/api-error.ts';
import type { Logger } from '../observability/logger.ts';
import { attemptOfJob, type BlockRunJobData } from '../runs/block-run-queue.ts';
import { EpochLostError } from '../runs/epoch.ts';
import type { OutcomeWaiter } from '../runs/outcome-waiter.ts';
import type { DispatchPermit, RunStore } from '../runs/run-store.ts';
import type { AttemptKey, AttemptOutcome } from '../runs/types.ts';
import { advanceAndEnqueue } from '../runs/advance-run.ts';
import { CreationPausedError } from './api-gate.ts';
import { attemptVerdict } from './attempt-verdict.ts';
import type { BlockRenderer } from './block-renderer.ts';
import type { RenderedJob } from '../render/render-block-job.ts';
import { AttemptMovedOnError, type JobCreator } from './create-job.ts';
import { dispatcherMetrics } from './metrics.ts';
import type { NamespaceSlots } from './namespace-slots.ts';

export interface BlockRunProcessorDeps {
  store: RunStore;
  queue: Queue<BlockRunJobData>;
  waiter: OutcomeWaiter;
  renderer: BlockRenderer;
  creator: JobCreator;
  /** Present when `limits.maxActiveJobsPerNamespace` caps namespaces. */
  slots: NamespaceSlots | undefined;
  logger: Logger;
  /** Aborted when the dispatcher stops: in-flight block runs are handed back to the queue. */
  stopping: AbortSignal;
}

/** How long a block run waits before trying a full namespace again (plus as much jitter). */
const NAMESPACE_FULL_DELAY_MS = 1000;
/** How long a block run waits after an unexpected error (Redis unreachable…) before the same attempt is tried again. */
const UNEXPECTED_ERROR_DELAY_MS = 5000;

/** The attempt failed before its Job could run; no retry of the block can change that. */
interface DispatchFailure {
  failed: AttemptOutcome;
}

type DispatchResult = 'running' | 'moved-on' | DispatchFailure;

function dispatchFailure(reason: string, message: string): DispatchFailure {
  return { failed: { succeeded: false, reason, message, finishedAt: Date.now() } };
}

function failureReason(error: KubeApiError): string {
  if (error.reason === 'JobNameCollision') return error.reason;
  return error.code === 'transient' ? 'ApiUnavailable' : 'CreateRejected';
}

class StoppingError extends Error {
  override name = 'StoppingError';
}

/** Errors with which the processor itself steers BullMQ: passed through untouched. */
function steersQueue(thrown: unknown): boolean {
  return thrown instanceof DelayedError || thrown instanceof RateLimitError;
}

/**
 * The dispatcher's processor of one block-runs queue job, as design.md "Who does what" lays out:
 * take the attempt → render → limits → create or adopt → mark running → wait for the watcher's
 * outcome → apply it → return or throw so BullMQ retries or fails the queue job. Each step is
 * idempotent, so a re-run after a crash (same attempt, same Job name) continues where it stopped.
 * Only an attempt's outcome spends an attempt: stopping and unexpected errors (Redis unreachable)
 * put the block run back with the same attempt, whose Job is then adopted, never duplicated.
 */
export function createBlockRunProcessor(deps: BlockRunProcessorDeps) {
  const { store, queue, waiter, renderer, creator, slots, logger, stopping } = deps;

  return async function processBlockRun(job: Job<BlockRunJobData>, token?: string): Promise<string> {
    const attempt = attemptOfJob(job.data, job.attemptsMade);
    const key: AttemptKey = { blockRunId: job.data.blockRunId, attempt };
    const log = logger.child({
      runId: job.data.runId,
      blockUuid: job.data.blockUuid,
      blockRunId: job.data.blockRunId,
      attempt,
    });
    let permit: DispatchPermit;
    try {
      permit = await runAttempt(job, token, key, log);
    } catch (thrown) {
      if (steersQueue(thrown)) throw thrown;
      if (thrown instanceof EpochLostError) {
        // Redis lost its data: this run is gone with it, and its queue job too. Said once per block
        // run in hand; the process then stops (src/processes/redis-guard.ts).
        log.error(
          { lostRunId: job.data.runId },
          `run ${job.data.runId} was lost with Redis's data; this block run is dropped: ${thrown.message}`,
        );
        throw new UnrecoverableError(thrown.message);
      }
      // The Job may exist: keep its slot (the same attempt takes it again) and retry the attempt.
      slots?.forget(key);
      if (!stopping.aborted)
        log.error({ err: toError(thrown) }, 'dispatching failed unexpectedly; the same attempt is tried again');
      await job.moveToDelayed(Date.now() + (stopping.aborted ? 0 : UNEXPECTED_ERROR_DELAY_MS), token);
      throw new DelayedError();
    }
    return settle(job, attempt, permit);
  };

  /** Steps 1–4; returns the permit to settle the block run by ('ok' once its outcome is applied). */
  async function runAttempt(
    job: Job<BlockRunJobData>,
    token: string | undefined,
    key: AttemptKey,
    log: Logger,
  ): Promise<DispatchPermit> {
    const { runId, blockUuid } = job.data;
    const { attempt } = key;
    if (stopping.aborted) throw new StoppingError('dispatcher stopping');
    // 1. Take the attempt; a finished or cancelled block run is only settled.
    const permit = await store.markDispatching(runId, blockUuid, attempt, job.data.generation ?? 0);
    if (permit !== 'ok') return permit;

    // 2. A re-run after a crash may find the outcome decided already, or the attempt's Job
    // recorded as running: then the Job is never created again, only waited for (a Job gone
    // meanwhile is the watcher's to report, as JobDeleted).
    const block = await store.getBlock(runId, blockUuid);
    let outcome = await store.getOutcome(key);
    let retryable = true;
    if (outcome && !(block?.attempt === attempt && block.jobName)) await nameDecidedJob(job, attempt);
    if (!outcome) {
      const dispatched =
        block?.state === 'running' && block.attempt === attempt && block.namespace
          ? await resume(block.namespace, key, log)
          : await dispatch(job, token, key, log);
      if (dispatched === 'moved-on') return 'ok';
      if (dispatched === 'running') {
        // 3. The watcher decides; the processor stays active meanwhile (global concurrency = active Jobs).
        outcome = await waitForOutcome(key);
      } else {
        outcome = dispatched.failed;
        retryable = false;
      }
    }

    // 4. Combine the outcome with what the pod reported, apply it and free the namespace slot.
    const report = retryable ? await store.getReport(key) : undefined;
    // This go's last attempt: each go (the first, and each after a retry of the run) has the same budget.
    const maxAttempts = attemptOfJob(job.data, (job.opts.attempts ?? 1) - 1);
    const verdict = attemptVerdict(outcome, report, { attempt, maxAttempts, retryable });
    const { state } = verdict;
    await store.applyAttemptResult(runId, blockUuid, attempt, state, verdict.outcome);
    await slots?.release(key);
    log.info({ state, reason: verdict.outcome.reason, reported: report?.status }, 'attempt finished');
    return 'ok';
  }

  /** 5. Moves the run on, then returns or throws according to the block run's state. */
  async function settle(job: Job<BlockRunJobData>, attempt: number, permit: DispatchPermit): Promise<string> {
    const { runId, blockUuid, blockRunId } = job.data;
    if (permit === 'missing') {
      logger.warn(
        { runId, blockRunId, lostRunId: runId },
        `run ${runId} no longer exists in Redis (Redis lost its data, or the run was pruned): its block run ${blockRunId} is dropped`,
      );
      throw new UnrecoverableError(`block run ${blockRunId} of run ${runId} no longer exists`);
    }
    // Cancelled and superseded block runs did not fail: their queue jobs complete, saying why.
    if (permit === 'cancelled') return `cancelled: run ${runId} was cancelled`;
    const block = await store.getBlock(runId, blockUuid);
    // Also when the run was retried while this go's attempt was in hand (its outcome is not applied).
    if (permit === 'superseded' || (block && (block.retryGeneration ?? 0) !== (job.data.generation ?? 0)))
      return `superseded: run ${runId} was retried, block run ${blockRunId} goes on as another queue job`;
    if (block?.state !== 'retrying') await advanceAndEnqueue(store, queue, runId);
    const why = `${block?.reason ?? 'unknown'}: ${block?.message ?? ''}`;
    if (block?.state === 'succeeded' || block?.state === 'condition_failed') return block.jobName ?? '';
    if (block?.state === 'cancelled') return `cancelled (${why})`;
    // A plain error lets BullMQ retry after the block's retry delay; the next attempt gets its own Job.
    if (block?.state === 'retrying') throw new Error(`attempt ${attempt} failed (${why})`);
    throw new UnrecoverableError(block?.state === 'failed' ? why : `block run ${block?.state ?? 'missing'} (${why})`);
  }

  /** The watcher's outcome, or StoppingError as soon as the dispatcher stops. */
  function waitForOutcome(key: AttemptKey): Promise<AttemptOutcome> {
    return new Promise((resolve, reject) => {
      const abort = () => reject(new StoppingError('dispatcher stopping'));
      if (stopping.aborted) return abort();
      stopping.addEventListener('abort', abort, { once: true });
      void waiter.wait(key).then((outcome) => {
        stopping.removeEventListener('abort', abort);
        resolve(outcome);
      });
    });
  }

  /**
   * The watcher decided the attempt before its Job was recorded (the dispatcher that created it
   * died first): record the Job's name, fixed by block run and attempt, so that the attempt's
   * record says which Job ran it.
   */
  async function nameDecidedJob(job: Job<BlockRunJobData>, attempt: number): Promise<void> {
    let rendered: RenderedJob;
    try {
      rendered = await renderer.render(job.data, attempt);
    } catch (thrown) {
      if (thrown instanceof ConfigError) return;
      throw thrown;
    }
    await store.markRunning(
      job.data.runId,
      job.data.blockUuid,
      attempt,
      rendered.name,
      rendered.namespace,
      creator.clusterName,
    );
  }

  /** Takes over an attempt whose Job a dispatcher that died had created and recorded. */
  async function resume(namespace: string, key: AttemptKey, log: Logger): Promise<DispatchResult> {
    // The Job runs already: keep counting it in its namespace even if the cap is reached meanwhile.
    await slots?.acquire(namespace, key);
    log.info({ namespace }, 'took over a running attempt; waiting for its outcome');
    return 'running';
  }

  /** Render, pass the limits, create (or adopt) the Job and record it as running. */
  async function dispatch(
    job: Job<BlockRunJobData>,
    token: string | undefined,
    key: AttemptKey,
    log: Logger,
  ): Promise<DispatchResult> {
    const { runId, blockUuid } = job.data;
    const { attempt } = key;
    let rendered: RenderedJob;
    try {
      rendered = await renderer.render(job.data, attempt);
    } catch (thrown) {
      // Invalid configuration fails the block run before any API call.
      if (thrown instanceof ConfigError) return dispatchFailure('InvalidConfig', thrown.message);
      throw thrown;
    }
    const { namespace, name } = rendered;

    if (slots && !(await slots.acquire(namespace, key))) {
      dispatcherMetrics.rateLimitWaits.inc({ limit: 'namespace_slots' });
      await job.moveToDelayed(
        Date.now() + NAMESPACE_FULL_DELAY_MS + Math.floor(Math.random() * NAMESPACE_FULL_DELAY_MS),
        token,
      );
      throw new DelayedError();
    }

    // Still this processing's to create: dispatching this very attempt (another processing of it,
    // after a lost queue lock, may have recorded its Job, or the attempt been decided, meanwhile).
    const stillWanted = async (): Promise<boolean> => {
      const current = await store.getBlock(runId, blockUuid);
      return current?.state === 'dispatching' && current.attempt === attempt;
    };
    try {
      const { adopted } = await creator.create(namespace, rendered.job, stillWanted);
      log.info({ namespace, job: name, adopted }, adopted ? 'Job adopted' : 'Job created');
    } catch (thrown) {
      if (thrown instanceof AttemptMovedOnError) {
        const current = await store.getBlock(runId, blockUuid);
        log.info(
          { namespace, job: name, state: current?.state },
          'attempt moved on before its Job was created here; creating nothing',
        );
        if (current?.state === 'running' && current.attempt === attempt) return 'running';
        await slots?.release(key);
        return 'moved-on';
      }
      if (thrown instanceof CreationPausedError) {
        // Every dispatcher stops taking block runs until the API's Retry-After is over.
        await slots?.release(key);
        await queue.rateLimit(thrown.remainingMs);
        throw new RateLimitError();
      }
      if (thrown instanceof KubeApiError) {
        await slots?.release(key);
        log.warn({ err: thrown }, 'Job creation failed');
        return dispatchFailure(failureReason(thrown), thrown.message);
      }
      throw thrown;
    }

    if (!(await store.markRunning(runId, blockUuid, attempt, name, namespace, creator.clusterName))) {
      // Cancelled while the Job was being created: nobody else knows this Job, so delete it here.
      log.info({ namespace, job: name }, 'block run moved on while its Job was created; deleting the Job');
      await creator.delete(namespace, name);
      await slots?.release(key);
      return 'moved-on';
    }
    return 'running';
  }
}
