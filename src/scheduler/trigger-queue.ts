import { Queue, type ConnectionOptions } from 'bullmq';

/** The queue schedule ticks land on; the trigger worker turns each tick into a pipeline run. */
export const TRIGGER_QUEUE = 'pipeline-triggers';

/** Data of one tick: what to run. */
export interface TriggerTickData {
  pipelineUuid: string;
  trigger: string;
  variables: Record<string, string>;
}

export function createTriggerQueue(connection: ConnectionOptions, prefix: string): Queue<TriggerTickData> {
  return new Queue<TriggerTickData>(TRIGGER_QUEUE, { connection, prefix });
}

/** Scheduler ids name the trigger; a pipeline uuid is a folder name, so it never contains '/'. */
export function triggerScheduleId(pipelineUuid: string, trigger: string): string {
  return `${pipelineUuid}/${trigger}`;
}
