import { formatProblem } from '../errors/config-problem.ts';
import type { Logger } from '../observability/logger.ts';
import { closeWorker } from '../redis/connection.ts';
import { pruneFinishedRuns } from '../runs/retention.ts';
import type { RunCanceller } from '../runs/cancel-run.ts';
import type { RunCreator } from '../runs/create-run.ts';
import { startPeriodic } from './periodic.ts';
import { sweepRuns } from '../runs/run-sweep.ts';
import type { RunServices } from '../runs/run-services.ts';
import { removeLegacySchedulers, runSchedulePass } from './schedule-pass.ts';
import { readProjectTriggers } from '../project/trigger-file.ts';
import { TriggerState } from './trigger-state.ts';
import { startTriggerWorker } from './trigger-worker.ts';

export interface SchedulerOptions {
  services: RunServices;
  creator: RunCreator;
  canceller: RunCanceller;
  /** Mage's `get_env()` (`mageEnv(ENV)`): triggers whose `envs` exclude it do not exist here. */
  mageEnv: string;
  sweepIntervalMs: number;
  /** `runs.retentionMs` (0: runs are kept forever) and `runs.pruneIntervalMs`. */
  retention?: { retentionMs: number; intervalMs: number };
  logger: Logger;
}

export interface RunningScheduler {
  stop(): Promise<void>;
}

/**
 * The scheduler process: keeps BullMQ job schedulers in step with the project's triggers.yaml
 * files, turns their ticks into runs, and sweeps active runs; syncs and sweeps every `sweepIntervalMs`.
 */
export function startScheduler(options: SchedulerOptions): RunningScheduler {
  const { services, creator, canceller, logger } = options;
  const state = new TriggerState(services.redis, services.prefix);
  let lastProblems = '';
  let legacyRemoved = false;
  const syncPass = async (): Promise<void> => {
    if (!legacyRemoved) {
      const removed = await removeLegacySchedulers(services.triggerQueue);
      if (removed > 0)
        logger.info(
          { removed },
          'removed BullMQ job schedulers of an earlier kubedispatch; triggers are now scheduled by the scheduler pass',
        );
      legacyRemoved = true;
    }
    const triggers = readProjectTriggers(creator.plan.projectDir);
    const problems = triggers.problems.map(formatProblem).join('\n');
    // Logged when they change, not every interval: the same typo once is enough.
    if (problems !== lastProblems && problems)
      logger.warn(
        { problems: problems.split('\n') },
        'triggers.yaml problems; those triggers do not run, the others do',
      );
    lastProblems = problems;
    const result = await runSchedulePass(
      { queue: services.triggerQueue, state, store: services.store, canceller, env: options.mageEnv, logger },
      triggers,
    );
    if (result.scheduled.length > 0) logger.info({ scheduled: result.scheduled }, 'trigger runs due');
  };
  const worker = startTriggerWorker(services.redis, services.prefix, {
    creator,
    canceller,
    state,
    outages: services.outages,
    logger,
  });
  // Two loops, so a failing schedule sync never holds up the run sweep or the other way round.
  const loops = [
    startPeriodic('schedule-sync', options.sweepIntervalMs, syncPass, logger),
    startPeriodic(
      'run-sweep',
      options.sweepIntervalMs,
      async () => {
        const report = await sweepRuns(services.store, services.blockQueue, logger);
        if (report.promoted.length > 0) logger.info({ promoted: report.promoted }, 'started waiting runs');
      },
      logger,
    ),
  ];
  const retention = options.retention;
  if (retention && retention.retentionMs > 0) {
    // Several schedulers may prune at once: each batch is one atomic, idempotent script.
    loops.push(
      startPeriodic(
        'retention',
        retention.intervalMs,
        async () => {
          const done = await pruneFinishedRuns(services.store, { olderThanMs: retention.retentionMs, now: Date.now() });
          if (done.deleted > 0)
            logger.info(
              { deleted: done.deleted, retentionMs: retention.retentionMs },
              'deleted finished runs past runs.retentionMs',
            );
        },
        logger,
      ),
    );
  }
  return {
    async stop() {
      await Promise.all(loops.map((loop) => loop.stop()));
      await closeWorker(worker, services.redis);
    },
  };
}
