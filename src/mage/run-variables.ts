import { timeInterval } from './intervals.ts';
import { pythonDatetimeText, reprintParsedDatetime } from './python-datetime.ts';
import type { MageDatetime } from './python-datetime.ts';
import { hasNaiveExecutionDate } from './schedule.ts';
import type { MageSchedule } from './schedule.ts';

/** Everything Mage's `PipelineRun.get_variables` reads, as kubedispatch stores it for a run. */
export interface RunVariablesInput {
  /** The pipeline metadata.yaml's `variables:` (Mage's `get_global_variables`). */
  pipelineVariables: Readonly<Record<string, unknown>>;
  schedule?: MageSchedule;
  /** The run's own variables (`pipeline_run.variables`). */
  variables: Readonly<Record<string, unknown>>;
  /** API-trigger body keys other than `pipeline_run` (`pipeline_run.event_variables`). */
  eventVariables?: Readonly<Record<string, unknown>>;
  executionDate: Date;
  executionPartition: string;
  /** kubedispatch's run id, standing in for Mage's pipeline_run.id (no Mage database row has it). */
  pipelineRunId: number;
  /** The run's trigger name ('' for a manual run without one). */
  triggerName: string;
}

const INTERVAL_DATETIME_KEYS = [
  'interval_end_datetime',
  'interval_start_datetime',
  'interval_start_datetime_previous',
] as const;
const INTERVAL_KEYS = [...INTERVAL_DATETIME_KEYS, 'interval_seconds'] as const;

/** Python truthiness of a JSON value: Mage tests `if interval_x or …`. */
function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object' && value !== null) return Object.keys(value).length > 0;
  return Boolean(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The variables Mage gives every block of a pipeline run (`PipelineRun.get_variables`, Mage's
 * precedence), which kubedispatch passes whole through `--runtime-vars`:
 * pipeline variables < trigger variables < run variables < event variables (only missing keys),
 * then the forced keys `ds`, `hr`, `env`, `event`, `execution_date`, `execution_partition`,
 * `pipeline_run_id`, `trigger_name`, then the `interval_*` keys. Datetimes are strings in
 * `str(datetime)` form. A pure function of the run's stored inputs: identical for every block and attempt.
 */
export function mageRunVariables(input: RunVariablesInput): Record<string, unknown> {
  const eventVariables = input.eventVariables ?? {};
  // Spread, not assignment: a `__proto__` key from YAML or JSON stays an ordinary key.
  const merged: Record<string, unknown> = {
    ...input.pipelineVariables,
    ...input.schedule?.variables,
    ...input.variables,
  };
  const missingEventKeys = Object.fromEntries(
    Object.entries(eventVariables).filter(([key]) => !Object.hasOwn(merged, key)),
  );
  const variables: Record<string, unknown> = { ...merged, ...missingEventKeys };
  const executionDate: MageDatetime = { date: input.executionDate, naive: hasNaiveExecutionDate(input.schedule) };
  const previousEvent = variables['event'];
  const forced: Record<string, unknown> = {
    ds: pythonDatetimeText(executionDate).slice(0, 10),
    hr: pythonDatetimeText(executionDate).slice(11, 13),
    env: 'prod',
    // Mage merges into a dict; anything else under `event` would make it fail, here it is replaced.
    event: { ...(isObject(previousEvent) ? previousEvent : {}), ...eventVariables },
    execution_date: pythonDatetimeText(executionDate),
    execution_partition: input.executionPartition,
    pipeline_run_id: input.pipelineRunId,
    trigger_name: input.triggerName,
  };
  return { ...variables, ...forced, ...intervalVariables(variables, input, executionDate.naive) };
}

/** Given interval keys are re-printed as Mage parses them (dateutil); otherwise time triggers get computed ones. */
function intervalVariables(
  variables: Record<string, unknown>,
  input: RunVariablesInput,
  naive: boolean,
): Record<string, unknown> {
  if (INTERVAL_KEYS.some((key) => truthy(variables[key]))) {
    const reparsed: Record<string, unknown> = {};
    for (const key of INTERVAL_DATETIME_KEYS) {
      const value = variables[key];
      const text = typeof value === 'string' && value !== '' ? reprintParsedDatetime(value) : undefined;
      if (text !== undefined) reparsed[key] = text;
    }
    return reparsed;
  }
  if (input.schedule?.scheduleType !== 'time') return {};
  const interval = timeInterval(input.schedule.scheduleInterval, input.executionDate);
  const text = (date: Date | null): string | null => (date ? pythonDatetimeText({ date, naive }) : null);
  return {
    interval_end_datetime: text(interval.end),
    interval_seconds: interval.seconds,
    interval_start_datetime: text(interval.start),
    interval_start_datetime_previous: text(interval.startPrevious),
  };
}
