import { currentExecutionDate, nextExecutionDate, parseInterval } from './execution-date.ts';

/** Mage's `interval_*` values for a time trigger's run, before they are printed. */
export interface Interval {
  start: Date;
  seconds: number | null;
  end: Date | null;
  startPrevious: Date | null;
}

/**
 * `PipelineRun.get_variables` for time triggers: the interval starts at the execution date and ends
 * at the schedule's next execution date (for cron, found as Mage walks croniter(expr, start): back
 * one tick, forward to start's tick, then the one after); the previous start is start − length;
 * none for @once/@always_on or an interval that cannot be read (Mage swallows cron errors here too).
 */
export function timeInterval(scheduleInterval: string | null, executionDate: Date): Interval {
  const start = executionDate.getTime();
  const interval: Interval = { start: executionDate, seconds: null, end: null, startPrevious: null };
  const schedule = scheduleInterval === null ? undefined : parseInterval(scheduleInterval);
  if (schedule === undefined || typeof schedule === 'string') return interval;
  const from = schedule.kind === 'cron' ? nextExecutionDate(schedule, currentExecutionDate(schedule, start)) : start;
  const end = from === undefined ? undefined : nextExecutionDate(schedule, from);
  if (end === undefined) return interval;
  interval.end = new Date(end);
  interval.seconds = (end - start) / 1000;
  // Mage sets this after the branches, so for cron too it is start − seconds (its get_prev result is overwritten).
  interval.startPrevious = new Date(start - (end - start));
  return interval;
}
