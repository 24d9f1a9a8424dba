import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { ConfigError } from '../errors/config-problem.ts';
import { toError } from '../errors/to-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { RedisOutageLog } from '../redis/outage-log.ts';
import { cancelPipelineRun, type RunCanceller } from '../runs/cancel-run.ts';
import { createPipelineRun, type RunCreator } from '../runs/create-run.ts';
import type { RunRequest } from '../runs/run-plan.ts';
import { TRIGGER_QUEUE, type TriggerTickData } from '../runs/trigger-queue.ts';
import type { TriggerState } from './trigger-state.ts';

/** The run a tick creates is keyed by the tick's job id: a tick re-run after a crash finds the same run. */
export function tickIdempotencyKey(jobId: string): string {
  return `tick:${jobId}`;
}

/** How long a tick held back by its trigger's `pipeline_run_limit` waits before looking again. */
const LIMIT_RECHECK_MS = 5_000;

export interface TriggerWorkerDeps {
  creator: RunCreator;
  canceller: RunCanceller;
  state: TriggerState;
  outages: RedisOutageLog;
  logger: Logger;
}

/** The run request of a trigger's run: Mage's trigger variables, execution date and schedule. */
export function triggerRunRequest(
  tick: TriggerTickData,
  extra: {
    idempotencyKey?: string;
    variables?: Record<string, unknown>;
    eventVariables?: Record<string, unknown>;
  } = {},
): RunRequest {
  return {
    pipelineUuid: tick.pipelineUuid,
    trigger: tick.trigger,
    // Mage's run variables: the trigger's, snapshotted at creation (API runs: the request's).
    // Typed Record<string, unknown> by the run-variables contract (CONTRACT-RUN-REQUEST); values are JSON.
    variables: (extra.variables ?? tick.variables) as RunRequest['variables'],
    executionDate: new Date(tick.executionDate),
    schedule: {
      id: tick.triggerId,
      scheduleType: tick.scheduleType,
      scheduleInterval: tick.scheduleInterval,
      variables: tick.variables,
    },
    ...(extra.eventVariables ? { eventVariables: extra.eventVariables } : {}),
    ...(extra.idempotencyKey ? { idempotencyKey: extra.idempotencyKey } : {}),
    allowBlocksToFail: tick.settings.allowBlocksToFail,
  };
}

/**
 * Turns ticks into runs, applying the trigger's run settings: `pipeline_run_limit` holds the tick
 * (delayed, Mage's run stays `initial`) while that many runs of the trigger are unfinished;
 * `skip_if_previous_running` creates the run and cancels it when another is unfinished (as Mage).
 * A tick whose pipeline is invalid fails at once (retrying cannot fix the files); any other error
 * is retried by BullMQ.
 */
export function startTriggerWorker(
  connection: ConnectionOptions,
  prefix: string,
  deps: TriggerWorkerDeps,
): Worker<TriggerTickData, number> {
  const { creator, state, logger } = deps;
  const worker = new Worker<TriggerTickData, number>(
    TRIGGER_QUEUE,
    async (job: Job<TriggerTickData>, token?: string) => {
      const tick = job.data;
      const idempotencyKey = tickIdempotencyKey(job.id ?? job.name);
      const existing = await creator.store.runIdForKey(idempotencyKey);
      const others = (await state.unfinishedRuns(creator.store, tick.triggerId)).filter(
        ({ run }) => run.id !== existing,
      );
      const limit = tick.settings.pipelineRunLimit;
      if (existing === undefined && limit !== undefined && others.length >= limit) {
        await job.moveToDelayed(Date.now() + LIMIT_RECHECK_MS, token);
        throw new DelayedError();
      }
      try {
        const runId = await createPipelineRun(creator, triggerRunRequest(tick, { idempotencyKey }));
        await state.recordRun(tick.triggerId, runId, tick.executionDate);
        if (tick.settings.skipIfPreviousRunning && others.length > 0) {
          await cancelPipelineRun(
            deps.canceller,
            runId,
            `skipped: a previous run of trigger ${tick.trigger} is still running (settings.skip_if_previous_running)`,
          );
          logger.info(
            { pipelineUuid: tick.pipelineUuid, trigger: tick.trigger, runId },
            'schedule tick skipped: previous run still running',
          );
        } else {
          logger.info({ pipelineUuid: tick.pipelineUuid, trigger: tick.trigger, runId }, 'schedule tick created a run');
        }
        return runId;
      } catch (thrown) {
        if (thrown instanceof ConfigError) throw new UnrecoverableError(thrown.message);
        throw toError(thrown);
      }
    },
    // A tick takes milliseconds, so a short lock costs little and a killed scheduler's tick is re-run soon.
    { connection, prefix, concurrency: 1, lockDuration: 5_000, stalledInterval: 5_000 },
  );
  worker.on('failed', (job, error) => logger.error({ tick: job?.id, err: error.message }, 'schedule tick failed'));
  worker.on('error', (error) => {
    if (!deps.outages.absorb(toError(error))) logger.error({ err: toError(error).message }, 'trigger worker error');
  });
  return worker;
}
