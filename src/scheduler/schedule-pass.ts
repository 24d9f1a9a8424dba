import type { Queue } from 'bullmq';
import type { Logger } from '../observability/logger.ts';
import type { RunStore } from '../runs/run-store.ts';
import { TERMINAL_RUN_STATES } from '../runs/types.ts';
import { cancelPipelineRun, type RunCanceller } from '../runs/cancel-run.ts';
import { latestGoStartedAt } from '../runs/run-timing.ts';
import { dueExecutionDate } from './should-schedule.ts';
import { triggerInEnv, type ProjectTriggers, type Trigger } from '../project/trigger-file.ts';
import { slaBreaches } from './trigger-metrics.ts';
import { tickData, tickJobId, type TriggerTickData } from '../runs/trigger-queue.ts';
import type { TriggerState } from './trigger-state.ts';

export interface SchedulePassDeps {
  queue: Queue<TriggerTickData>;
  state: TriggerState;
  store: RunStore;
  canceller: RunCanceller;
  /** Mage's `get_env()` of this installation (`mageEnv(ENV)`). */
  env: string;
  logger: Logger;
}

export interface SchedulePassResult {
  /** `pipeline/trigger@ISO execution date` of each tick added. */
  scheduled: string[];
  /** Runs stopped by their trigger's `settings.timeout`. */
  timedOut: number[];
  /** Runs newly marked `passed_sla`. */
  passedSla: number[];
}

/** Ticks stay long enough to be inspected in Bull Board; de-duplication does not depend on them. */
const TICK_RETENTION = {
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 1000 },
};

function label(trigger: Trigger): string {
  return `${trigger.pipelineUuid}/${trigger.name}`;
}

/**
 * Timeout and SLA of the trigger's tracked runs, then forgets the finished ones. Mage checks the
 * SLA of running runs and of runs at completion; both are the same test on the finish (or now).
 */
async function watchRuns(
  deps: SchedulePassDeps,
  trigger: Trigger,
  now: number,
  result: SchedulePassResult,
): Promise<number> {
  let unfinished = 0;
  for (const { run, executionDate } of await deps.state.trackedRuns(deps.store, trigger.id)) {
    const finished = TERMINAL_RUN_STATES.has(run.state);
    const timeout = trigger.settings.timeoutSeconds;
    // A retried run's timeout counts from its retry (a run that timed out would otherwise time out again at once).
    const since = latestGoStartedAt(run);
    if (!finished && timeout !== undefined && since !== undefined && now - since > timeout * 1000) {
      await cancelPipelineRun(
        deps.canceller,
        run.id,
        `Pipeline run timed out (trigger ${trigger.name}: settings.timeout ${timeout} s).`,
        trigger.settings.timeoutStatus,
      );
      result.timedOut.push(run.id);
      deps.logger.warn(
        {
          pipelineUuid: trigger.pipelineUuid,
          trigger: trigger.name,
          runId: run.id,
          timeoutSeconds: timeout,
          status: trigger.settings.timeoutStatus,
        },
        'run timed out',
      );
    }
    const sla = trigger.slaSeconds;
    const finishedAt = finished ? (run.finishedAt ?? now) : now;
    if (
      sla !== undefined &&
      !run.passedSla &&
      finishedAt > executionDate + sla * 1000 &&
      (await deps.store.markPassedSla(run.id))
    ) {
      result.passedSla.push(run.id);
      slaBreaches.inc({ pipeline: trigger.pipelineUuid, trigger: trigger.name });
      deps.logger.warn(
        {
          pipelineUuid: trigger.pipelineUuid,
          trigger: trigger.name,
          runId: run.id,
          slaSeconds: sla,
          executionDate: new Date(executionDate).toISOString(),
        },
        'run passed its SLA',
      );
    }
    const current = finished ? run : await deps.store.getRunRecord(run.id);
    if (current && TERMINAL_RUN_STATES.has(current.state)) await deps.state.forgetFinished(trigger.id, current);
    else unfinished += 1;
  }
  return unfinished;
}

/** After a tick that made no run (an invalid pipeline), @always_on waits this long before trying again. */
const ALWAYS_ON_FAILED_TICK_BACKOFF_MS = 5 * 60_000;

/**
 * An @always_on tick still waiting for the worker counts as its unfinished run; a tick that failed
 * to make a run (the pipeline is invalid: logged by the worker) is not retried every pass.
 */
async function alwaysOnHeldBack(deps: SchedulePassDeps, trigger: Trigger, now: number): Promise<boolean> {
  const pending = await deps.queue.getJobs(['waiting', 'delayed', 'active', 'prioritized']);
  if (pending.some((job) => job.data.triggerId === trigger.id)) return true;
  const last = await deps.state.lastExecution(trigger);
  if (last === undefined) return false;
  const previous = await deps.queue.getJob(tickJobId(trigger.id, last));
  if (!previous || !(await previous.isFailed())) return false;
  return now - (previous.finishedOn ?? now) < ALWAYS_ON_FAILED_TICK_BACKOFF_MS;
}

async function scheduleDue(
  deps: SchedulePassDeps,
  trigger: Trigger,
  unfinished: number,
  now: number,
  result: SchedulePassResult,
): Promise<void> {
  if (trigger.scheduleType !== 'time') return;
  if (!trigger.active) return deps.state.disabled(trigger);
  const due = dueExecutionDate(trigger, now, {
    enabledAt: await deps.state.enabledAt(trigger, now),
    lastExecution: await deps.state.lastExecution(trigger),
    onceDone: await deps.state.onceDone(trigger),
    unfinished,
    runtimes: trigger.settings.landingTimeEnabled ? await deps.state.recentRuntimes(trigger.id) : [],
  });
  if (due === undefined) return;
  if (trigger.interval?.kind === 'always_on' && (await alwaysOnHeldBack(deps, trigger, now))) return;
  // The tick first, then the mark: a crash between them re-adds the same job id, which BullMQ ignores.
  await deps.queue.add(label(trigger), tickData(trigger, due), {
    jobId: tickJobId(trigger.id, due),
    ...TICK_RETENTION,
  });
  await deps.state.markScheduled(trigger, due);
  result.scheduled.push(`${label(trigger)}@${new Date(due).toISOString()}`);
}

/**
 * One scheduler pass over the project's triggers (Mage's scheduler loop): for every trigger of
 * this environment, stops runs past `settings.timeout`, marks runs past `sla`, and adds a tick for
 * each time trigger whose run is due (dueExecutionDate). Every trigger stands alone: one that
 * fails is logged and the others go on.
 */
export async function runSchedulePass(
  deps: SchedulePassDeps,
  project: ProjectTriggers,
  now: number = Date.now(),
): Promise<SchedulePassResult> {
  const result: SchedulePassResult = { scheduled: [], timedOut: [], passedSla: [] };
  for (const trigger of project.triggers) {
    if (!triggerInEnv(trigger, deps.env)) continue;
    try {
      const unfinished = await watchRuns(deps, trigger, now, result);
      await scheduleDue(deps, trigger, unfinished, now, result);
    } catch (thrown) {
      deps.logger.error(
        { pipelineUuid: trigger.pipelineUuid, trigger: trigger.name, err: (thrown as Error).message },
        'trigger pass failed; retrying next interval',
      );
    }
  }
  return result;
}

/** Job schedulers of kubedispatch versions that scheduled with BullMQ repeat jobs: removed once, so they never tick twice. */
export async function removeLegacySchedulers(queue: Queue<TriggerTickData>): Promise<number> {
  const schedulers = await queue.getJobSchedulers(0, -1);
  for (const scheduler of schedulers) await queue.removeJobScheduler(scheduler.key);
  return schedulers.length;
}
