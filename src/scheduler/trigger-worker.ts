import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { ConfigError } from '../errors/config-problem.ts';
import { toError } from '../errors/to-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { RedisOutageLog } from '../redis/outage-log.ts';
import { createPipelineRun, type RunCreator } from './create-run.ts';
import { TRIGGER_QUEUE, type TriggerTickData } from './trigger-queue.ts';

/** The run a tick creates is keyed by the tick's job id: a tick re-run after a crash finds the same run. */
export function tickIdempotencyKey(jobId: string): string {
  return `tick:${jobId}`;
}

/**
 * Turns schedule ticks into runs. A tick whose pipeline is invalid fails at once (retrying cannot
 * fix the files); any other error is retried by BullMQ.
 */
export function startTriggerWorker(connection: ConnectionOptions, prefix: string, creator: RunCreator, outages: RedisOutageLog, logger: Logger): Worker<TriggerTickData, number> {
  const worker = new Worker<TriggerTickData, number>(
    TRIGGER_QUEUE,
    async (job: Job<TriggerTickData>) => {
      const { pipelineUuid, trigger, variables } = job.data;
      try {
        const runId = await createPipelineRun(creator, { pipelineUuid, trigger, variables, idempotencyKey: tickIdempotencyKey(job.id ?? job.name) });
        logger.info({ pipelineUuid, trigger, runId }, 'schedule tick created a run');
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
    if (!outages.absorb(toError(error))) logger.error({ err: toError(error).message }, 'trigger worker error');
  });
  return worker;
}
