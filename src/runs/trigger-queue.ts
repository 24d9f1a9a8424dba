import { Queue, type ConnectionOptions } from 'bullmq';
import type { ScheduleType, Trigger, TriggerSettings } from '../project/trigger-file.ts';

/** The queue a trigger's due runs land on; the trigger worker turns each tick into a pipeline run. */
export const TRIGGER_QUEUE = 'pipeline-triggers';

/** Data of one tick: the trigger as it was when the run became due, and the run's execution date. */
export interface TriggerTickData {
  triggerId: number;
  pipelineUuid: string;
  /** Trigger name. */
  trigger: string;
  scheduleType: ScheduleType;
  scheduleInterval: string | null;
  variables: Record<string, unknown>;
  settings: TriggerSettings;
  /** ms since epoch (UTC). */
  executionDate: number;
}

export function createTriggerQueue(connection: ConnectionOptions, prefix: string): Queue<TriggerTickData> {
  return new Queue<TriggerTickData>(TRIGGER_QUEUE, { connection, prefix });
}

/** One tick per (trigger, execution date): a second scheduler, or a re-run pass, adds nothing. */
export function tickJobId(triggerId: number, executionDate: number): string {
  return `t${triggerId}-${executionDate}`;
}

/** The tick of `trigger` for one execution date. */
export function tickData(trigger: Trigger, executionDate: number): TriggerTickData {
  return {
    triggerId: trigger.id,
    pipelineUuid: trigger.pipelineUuid,
    trigger: trigger.name,
    scheduleType: trigger.scheduleType,
    scheduleInterval: trigger.scheduleInterval,
    variables: trigger.variables,
    settings: trigger.settings,
    executionDate,
  };
}
