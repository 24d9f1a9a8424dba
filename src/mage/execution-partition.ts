import type { MageSchedule } from './schedule.ts';
import { strftime } from './python-datetime.ts';

/** First path segment of the partitions of runs no trigger made (never a schedule id, which is a number). */
const MANUAL_PARTITION_ROOT = 'manual';

export interface PartitionInput {
  schedule?: Pick<MageSchedule, 'id' | 'scheduleType'>;
  executionDate: Date;
  /** The run's own variables: a non-empty `execution_partition` string among them wins, as in Mage. */
  variables: Readonly<Record<string, unknown>>;
  /** The run id as it appears in a manual run's partition (the store may fill it in when it allocates the id). */
  runId: string;
}

/**
 * Mage's `PipelineRun.execution_partition`, the storage subpath of a run's block outputs and logs:
 * - the run variable `execution_partition` when set;
 * - time triggers: `{schedule_id}/{%Y%m%dT%H%M%S}` (Mage's scheduler);
 * - API and event triggers: `{schedule_id}/{%Y%m%dT%H%M%S_%f}` (Mage's API-trigger payload);
 * - runs no trigger made (kubedispatch's `run`, HTTP API): `manual/{%Y%m%dT%H%M%S_%f}_{run id}`,
 *   unique per run because of the run id, and under a root no Mage schedule id can take.
 */
export function executionPartition(input: PartitionInput): string {
  const given = input.variables['execution_partition'];
  if (typeof given === 'string' && given !== '') return given;
  const { schedule, executionDate } = input;
  if (!schedule) return `${MANUAL_PARTITION_ROOT}/${strftime(executionDate, '%Y%m%dT%H%M%S_%f')}_${input.runId}`;
  const format = schedule.scheduleType === 'time' ? '%Y%m%dT%H%M%S' : '%Y%m%dT%H%M%S_%f';
  return `${schedule.id}/${strftime(executionDate, format)}`;
}
