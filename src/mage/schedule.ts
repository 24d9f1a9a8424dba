/** The Mage trigger (pipeline schedule) that made a run, as the run request carries it. */
export interface MageSchedule {
  /** The trigger's stable numeric id (Mage's schedule_id, used in the execution partition). */
  id: number;
  scheduleType: 'time' | 'event' | 'api';
  /** '@once', '@hourly', '@daily', '@weekly', '@monthly', '@always_on', a cron expression, or null. */
  scheduleInterval: string | null;
  /** The trigger's `variables` from triggers.yaml. */
  variables: Record<string, unknown>;
}

/** Mage holds API runs' execution_date as naive `utcnow()`; time and event runs (and manual ones here) as UTC-aware. */
export function hasNaiveExecutionDate(schedule: Pick<MageSchedule, 'scheduleType'> | undefined): boolean {
  return schedule?.scheduleType === 'api';
}
