import { CronExpressionParser } from 'cron-parser';

/** Mage's `interval_*` values for a time trigger's run, before they are printed. */
export interface Interval {
  start: Date;
  seconds: number | null;
  end: Date | null;
  startPrevious: Date | null;
}

const FIXED_SECONDS: ReadonlyMap<string, number> = new Map([
  ['@hourly', 3600],
  ['@daily', 86400],
  ['@weekly', 604800],
]);
const NO_INTERVAL = new Set(['@once', '@always_on']);

/** `start + 1 month` as dateutil's relativedelta adds it: the day is clamped to the next month's length. */
function addMonth(start: Date): Date {
  const end = new Date(start);
  end.setUTCDate(1);
  end.setUTCMonth(end.getUTCMonth() + 1);
  const lastDay = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() + 1, 0)).getUTCDate();
  end.setUTCDate(Math.min(start.getUTCDate(), lastDay));
  return end;
}

const secondsBetween = (from: Date, to: Date): number => (to.getTime() - from.getTime()) / 1000;

/**
 * `PipelineRun.get_variables` for time triggers: the interval starts at the execution date; its
 * length is fixed for @hourly/@daily/@weekly, the real month for @monthly, next tick minus current
 * for cron; the previous start is start − length; none for @once/@always_on (or a cron that cannot be read).
 */
export function timeInterval(scheduleInterval: string | null, executionDate: Date): Interval {
  const start = executionDate;
  const interval: Interval = { start, seconds: null, end: null, startPrevious: null };
  if (scheduleInterval === null || NO_INTERVAL.has(scheduleInterval)) return interval;
  const fixed = FIXED_SECONDS.get(scheduleInterval);
  if (fixed !== undefined) interval.seconds = fixed;
  else if (scheduleInterval === '@monthly') {
    interval.end = addMonth(start);
    interval.seconds = secondsBetween(start, interval.end);
  } else {
    try {
      // As Mage walks croniter(expr, start): back one tick, forward to start's tick, then the one after.
      const ticks = CronExpressionParser.parse(scheduleInterval, { currentDate: start, tz: 'UTC' });
      ticks.prev();
      ticks.next();
      interval.end = ticks.next().toDate();
      interval.seconds = secondsBetween(start, interval.end);
    } catch {
      // Mage swallows cron errors here too and leaves the interval empty.
    }
  }
  if (interval.seconds && !interval.end) interval.end = new Date(start.getTime() + interval.seconds * 1000);
  // Mage sets this after the branches, so for cron too it is start − seconds (its get_prev result is overwritten).
  if (interval.seconds) interval.startPrevious = new Date(start.getTime() - interval.seconds * 1000);
  return interval;
}
