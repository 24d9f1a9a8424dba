import type { Job, JobSchedulerJson, Queue } from 'bullmq';
import { toError } from '../errors/to-error.ts';
import type { ProjectTriggers, TimeTrigger } from './trigger-file.ts';
import { triggerScheduleId, type TriggerTickData } from './trigger-queue.ts';

export interface SyncResult {
  /** Schedules created or changed. */
  upserted: string[];
  /** Schedules removed because their trigger is gone or inactive. */
  removed: string[];
  /** Triggers BullMQ refused (e.g. a cron field out of range), with its message; the others are still synced. */
  failed: { id: string; message: string }[];
}

/** Ticks stay long enough to be inspected; their runs' idempotency keys outlive them in the run store. */
const TICK_RETENTION = {
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 1000 },
};

function tickData(trigger: TimeTrigger): TriggerTickData {
  return { pipelineUuid: trigger.pipelineUuid, trigger: trigger.name, variables: trigger.variables };
}

/**
 * `@once` is a delayed job, not a scheduler: its id names the trigger and start time and the job is
 * kept after it ran, so re-syncing never runs it twice (BullMQ refuses a second job with the same id).
 */
const ONCE_PREFIX = 'once-';

function onceJobId(trigger: TimeTrigger): string {
  return `${ONCE_PREFIX}${encodeURIComponent(triggerScheduleId(trigger.pipelineUuid, trigger.name))}-${trigger.startTime ?? 0}`;
}

function sameSchedule(existing: JobSchedulerJson<TriggerTickData>, trigger: TimeTrigger & { schedule: { kind: 'cron' } }): boolean {
  return existing.pattern === trigger.schedule.pattern &&
    (existing.startDate ?? undefined) === trigger.startTime &&
    JSON.stringify(existing.template?.data) === JSON.stringify(tickData(trigger));
}

async function syncCron(queue: Queue<TriggerTickData>, triggers: TimeTrigger[], keep: Set<string>, result: SyncResult): Promise<void> {
  const existing = new Map((await queue.getJobSchedulers(0, -1)).map((scheduler) => [scheduler.key, scheduler]));
  const wanted = new Set<string>();
  for (const trigger of triggers) {
    if (trigger.schedule.kind !== 'cron' || !trigger.active) continue;
    const id = triggerScheduleId(trigger.pipelineUuid, trigger.name);
    wanted.add(id);
    const current = existing.get(id);
    if (current && sameSchedule(current, trigger as TimeTrigger & { schedule: { kind: 'cron' } })) continue;
    try {
      await queue.upsertJobScheduler(
        id,
        { pattern: trigger.schedule.pattern, tz: 'UTC', ...(trigger.startTime === undefined ? {} : { startDate: trigger.startTime }) },
        { name: id, data: tickData(trigger), opts: TICK_RETENTION },
      );
      result.upserted.push(id);
    } catch (thrown) {
      result.failed.push({ id, message: `${trigger.file}: ${toError(thrown).message}` });
    }
  }
  for (const id of existing.keys()) {
    if (wanted.has(id) || keep.has(id.slice(0, id.indexOf('/')))) continue;
    await queue.removeJobScheduler(id);
    result.removed.push(id);
  }
}

async function syncOnce(queue: Queue<TriggerTickData>, triggers: TimeTrigger[], keep: Set<string>, now: number, result: SyncResult): Promise<void> {
  const wanted = new Set<string>();
  for (const trigger of triggers) {
    if (trigger.schedule.kind !== 'once' || !trigger.active) continue;
    const jobId = onceJobId(trigger);
    wanted.add(jobId);
    if (await queue.getJob(jobId)) continue;
    const name = triggerScheduleId(trigger.pipelineUuid, trigger.name);
    await queue.add(name, tickData(trigger), { jobId, delay: Math.max(0, (trigger.startTime ?? now) - now), removeOnFail: TICK_RETENTION.removeOnFail });
    result.upserted.push(name);
  }
  const pending: Job<TriggerTickData>[] = await queue.getJobs(['delayed', 'waiting', 'prioritized']);
  for (const job of pending) {
    if (!job.id?.startsWith(ONCE_PREFIX) || wanted.has(job.id) || keep.has(job.data.pipelineUuid)) continue;
    await job.remove();
    result.removed.push(job.name);
  }
}

/**
 * Makes the queue's schedules match the project's triggers: active ones upserted (only when they
 * changed), inactive or deleted ones removed. Pipelines whose triggers.yaml cannot be read keep
 * their schedules. Idempotent: a second call with the same triggers changes nothing.
 */
export async function syncSchedules(queue: Queue<TriggerTickData>, project: ProjectTriggers, now: number = Date.now()): Promise<SyncResult> {
  const result: SyncResult = { upserted: [], removed: [], failed: [] };
  const keep = new Set(project.unreadable);
  await syncCron(queue, project.triggers, keep, result);
  await syncOnce(queue, project.triggers, keep, now, result);
  return result;
}
