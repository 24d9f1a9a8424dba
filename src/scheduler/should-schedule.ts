import { currentExecutionDate } from '../mage/execution-date.ts';
import type { Trigger } from '../project/trigger-file.ts';

/** What Mage's `should_schedule` reads from its database, as kubedispatch keeps it (trigger-state.ts). */
export interface ScheduleFacts {
  /** Mage's `last_enabled_at`. */
  enabledAt: number;
  /** The latest execution date a run was scheduled for. */
  lastExecution?: number;
  /** An @once trigger already made its run. */
  onceDone: boolean;
  /** Runs of the trigger waiting or running (Mage's initial/running). */
  unfinished: number;
  /** Runtimes (s) of recent succeeded runs, for landing time. */
  runtimes: readonly number[];
}

function landingLead(runtimes: readonly number[]): number {
  const mean = runtimes.reduce((sum, value) => sum + value, 0) / runtimes.length;
  // Mage adds half the sample standard deviation once there are two samples.
  const sd =
    runtimes.length >= 2
      ? Math.sqrt(runtimes.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (runtimes.length - 1))
      : 0;
  return (Math.ceil(mean) + Math.ceil(sd / 2)) * 1000;
}

/**
 * Mage's `PipelineSchedule.should_schedule` for an active time trigger: the execution date (ms) a
 * run is due for now, or undefined. start_time is a lower bound (with landing time, the time of
 * day to finish by); periods before `last_enabled_at` are skipped unless
 * `create_initial_pipeline_run`; an execution date already scheduled is never scheduled again.
 */
export function dueExecutionDate(trigger: Trigger, now: number, facts: ScheduleFacts): number | undefined {
  const interval = trigger.interval;
  if (!trigger.active || trigger.scheduleType !== 'time' || !interval) return undefined;
  const landing = trigger.settings.landingTimeEnabled && interval.kind === 'preset' && trigger.startTime !== undefined;
  if (!landing && trigger.startTime !== undefined && now < trigger.startTime) return undefined;
  if (interval.kind === 'once') return facts.onceDone ? undefined : now;
  if (interval.kind === 'always_on') return facts.unfinished === 0 ? now : undefined;
  const current = currentExecutionDate(interval, now, landing ? { startTime: trigger.startTime! } : undefined);
  if (trigger.startTime !== undefined && current < trigger.startTime) return undefined;
  if (!trigger.settings.createInitialPipelineRun && current < facts.enabledAt) return undefined;
  if (facts.lastExecution !== undefined && current <= facts.lastExecution) return undefined;
  if (landing && facts.runtimes.length > 0 && now < current - landingLead(facts.runtimes)) return undefined;
  return current;
}
