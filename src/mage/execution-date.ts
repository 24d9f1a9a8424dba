import { CronExpressionParser } from 'cron-parser';

/** A time trigger's `schedule_interval`, parsed. */
export type ScheduleInterval =
  | { kind: 'once'; text: string }
  | { kind: 'always_on'; text: string }
  | { kind: 'preset'; text: '@hourly' | '@daily' | '@weekly' | '@monthly' }
  | { kind: 'cron'; text: string; pattern: string };

const PRESETS = ['@hourly', '@daily', '@weekly', '@monthly'] as const;
/** Aliases Mage hands to croniter, which knows them. */
const CRON_ALIASES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@midnight': '0 0 * * *',
};
const EXPECTED =
  '@once, @hourly, @daily, @weekly, @monthly, @always_on or a 5-field cron expression such as "*/15 * * * *" (UTC)';

/** Parses an interval as Mage accepts it; a string is the message saying why it is not one. */
export function parseInterval(text: string): ScheduleInterval | string {
  const value = text.trim();
  if (value === '@once') return { kind: 'once', text: value };
  if (value === '@always_on') return { kind: 'always_on', text: value };
  if ((PRESETS as readonly string[]).includes(value))
    return { kind: 'preset', text: value as (typeof PRESETS)[number] };
  const alias = CRON_ALIASES[value];
  if (alias) return { kind: 'cron', text: value, pattern: alias };
  const fields = value.split(/\s+/);
  if (value.startsWith('@') || fields.length !== 5) {
    const six =
      fields.length === 6 || fields.length === 7
        ? ' (6- and 7-field crons are read differently by croniter and other cron libraries, so they are refused)'
        : '';
    return `${JSON.stringify(text)} is not a schedule${six}; expected ${EXPECTED}`;
  }
  try {
    CronExpressionParser.parse(fields.join(' '), { tz: 'UTC' });
  } catch (thrown) {
    return `${JSON.stringify(text)} is not a valid cron expression (${(thrown as Error).message}); expected ${EXPECTED}`;
  }
  return { kind: 'cron', text: value, pattern: fields.join(' ') };
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** Landing time keeps the period but moves its start to `start_time`'s position in it (Mage's current_execution_date). */
function landAt(start: number, interval: ScheduleInterval, startTime: number): number {
  const at = new Date(start);
  const land = new Date(startTime);
  if (interval.kind !== 'preset') return start;
  if (interval.text === '@hourly')
    return Date.UTC(
      at.getUTCFullYear(),
      at.getUTCMonth(),
      at.getUTCDate(),
      at.getUTCHours(),
      land.getUTCMinutes(),
      land.getUTCSeconds(),
    );
  const sameDay = Date.UTC(
    at.getUTCFullYear(),
    at.getUTCMonth(),
    at.getUTCDate(),
    land.getUTCHours(),
    land.getUTCMinutes(),
    land.getUTCSeconds(),
  );
  if (interval.text === '@daily') return sameDay;
  if (interval.text === '@weekly') return sameDay + ((land.getUTCDay() + 6) % 7) * DAY;
  return sameDay + (land.getUTCDate() - 1) * DAY;
}

/**
 * Mage's `PipelineSchedule.current_execution_date`, in UTC: the START of the current period (this
 * hour, today 00:00, this Monday, the 1st, or the cron's latest tick before now), `now` for @once
 * and @always_on; with landing time, moved to start_time's minute/hour/weekday/day of the period.
 */
export function currentExecutionDate(interval: ScheduleInterval, now: number, landing?: { startTime: number }): number {
  const at = new Date(now);
  let start: number;
  switch (interval.kind) {
    case 'once':
    case 'always_on':
      return now;
    case 'cron':
      return CronExpressionParser.parse(interval.pattern, { currentDate: new Date(now), tz: 'UTC' })
        .prev()
        .getTime();
    case 'preset': {
      const day = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
      if (interval.text === '@hourly') start = day + at.getUTCHours() * HOUR;
      else if (interval.text === '@daily') start = day;
      else if (interval.text === '@weekly') start = day - ((at.getUTCDay() + 6) % 7) * DAY;
      else start = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1);
      return landing ? landAt(start, interval, landing.startTime) : start;
    }
  }
}

/** The execution date after `current` (Mage's `next_execution_date`); undefined for @once and @always_on. */
export function nextExecutionDate(interval: ScheduleInterval, current: number): number | undefined {
  switch (interval.kind) {
    case 'once':
    case 'always_on':
      return undefined;
    case 'cron':
      return CronExpressionParser.parse(interval.pattern, { currentDate: new Date(current), tz: 'UTC' })
        .next()
        .getTime();
    case 'preset': {
      if (interval.text === '@hourly') return current + HOUR;
      if (interval.text === '@daily') return current + DAY;
      if (interval.text === '@weekly') return current + 7 * DAY;
      const at = new Date(current);
      return Date.UTC(
        at.getUTCFullYear(),
        at.getUTCMonth() + 1,
        at.getUTCDate(),
        at.getUTCHours(),
        at.getUTCMinutes(),
        at.getUTCSeconds(),
      );
    }
  }
}
