import { currentExecutionDate, nextExecutionDate } from '../mage/execution-date.ts';
import { triggerInEnv, type Trigger } from '../project/trigger-file.ts';

/** One line of `kubedispatch triggers` and one entry of `GET /api/v1/triggers`. */
export interface TriggerListing {
  pipeline: string;
  name: string;
  id: number;
  type: Trigger['scheduleType'];
  interval: string | null;
  status: 'active' | 'inactive';
  /** Whether the trigger exists in this installation's Mage environment (`envs` against `ENV`). */
  inEnv: boolean;
  /** ISO time of the next period start; null when nothing is scheduled (api, inactive, @always_on). */
  nextRun: string | null;
}

/** When the next scheduled run is due, from the files alone (an @once that already ran shows its start). */
export function nextRunOf(trigger: Trigger, now: number): number | undefined {
  const interval = trigger.interval;
  if (!trigger.active || !interval || interval.kind === 'always_on') return undefined;
  const from = Math.max(now, trigger.startTime ?? now);
  if (interval.kind === 'once') return from;
  const current = currentExecutionDate(interval, from);
  // A period starting exactly at `from` is due now; otherwise the next one.
  return current >= from ? current : nextExecutionDate(interval, current);
}

export function listTriggers(triggers: readonly Trigger[], env: string, now: number): TriggerListing[] {
  return triggers.map((trigger) => {
    const next = triggerInEnv(trigger, env) ? nextRunOf(trigger, now) : undefined;
    return {
      pipeline: trigger.pipelineUuid,
      name: trigger.name,
      id: trigger.id,
      type: trigger.scheduleType,
      interval: trigger.scheduleInterval,
      status: trigger.active ? 'active' : 'inactive',
      inEnv: triggerInEnv(trigger, env),
      nextRun: next === undefined ? null : new Date(next).toISOString(),
    };
  });
}
