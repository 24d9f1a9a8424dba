import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RunRecord } from '../runs/types.ts';
import { TERMINAL_RUN_STATES } from '../runs/types.ts';
import { runKeys } from '../runs/keys.ts';
import { latestGoStartedAt } from '../runs/run-timing.ts';
import type { RunStore } from '../runs/run-store.ts';
import type { Trigger } from '../project/trigger-file.ts';

/** A run a trigger made, with the execution date it was made for (what `sla` counts from). */
export interface TriggerRun {
  run: RunRecord;
  executionDate: number;
}

/** How many finished runtimes of a trigger landing time averages (Mage samples recent completed runs). */
const RUNTIME_SAMPLES = 10;

/**
 * Removes run ARGV[1] from the trigger's runs (KEYS[1]) only while its record (KEYS[2]) is in one
 * of the states ARGV[2..]: a retry between the pass reading the run as finished and this removal
 * has put it back to running, and it must stay tracked.
 */
const FORGET_IF_FINISHED_LUA = `
local raw = redis.call('GET', KEYS[2])
if raw then
  local state = cjson.decode(raw).state
  local finished = false
  for i = 2, #ARGV do if ARGV[i] == state then finished = true end end
  if not finished then return 0 end
end
return redis.call('ZREM', KEYS[1], ARGV[1])
`;

/**
 * What Mage keeps in its `pipeline_schedule` row and kubedispatch keeps in Redis, per trigger id:
 * `P:trigger:{id}` hash (`token`, `enabledAt`, `enabledFor`, `lastExecution`, `once`),
 * `P:trigger:{id}:runs` sorted set of its unfinished runs scored by execution date, and
 * `P:trigger:{id}:runtimes` list of the last finished runtimes (seconds). Everything else about a
 * trigger is re-read from triggers.yaml; losing these keys costs a new generated token, a new
 * `last_enabled_at`, and possibly one repeated run of the current period.
 */
export class TriggerState {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
  }

  private key(id: number, suffix = ''): string {
    return `${this.prefix}:trigger:${id}${suffix}`;
  }

  /** Also written by the run store when it retries a run the trigger made (RunStore.retryRun). */
  private runsKey(id: number): string {
    return runKeys(this.prefix).triggerRuns(id);
  }

  /**
   * The API token: the one in triggers.yaml, else one generated once (as Mage's `uuid4().hex`)
   * and kept, so the caller's URL stays valid. Never logged.
   */
  async apiToken(trigger: Trigger): Promise<string> {
    if (trigger.token) return trigger.token;
    await this.redis.hsetnx(this.key(trigger.id), 'token', randomBytes(16).toString('hex'));
    return (await this.redis.hget(this.key(trigger.id), 'token'))!;
  }

  /**
   * Mage's `last_enabled_at`: the file's value, else when this trigger was first seen active with
   * this interval (Mage writes that back to triggers.yaml; kubedispatch never writes the project).
   */
  async enabledAt(trigger: Trigger, now: number): Promise<number> {
    if (trigger.lastEnabledAt !== undefined) return trigger.lastEnabledAt;
    const key = this.key(trigger.id);
    const [enabledAt, enabledFor] = await this.redis.hmget(key, 'enabledAt', 'enabledFor');
    if (enabledAt && enabledFor === trigger.scheduleInterval) return Number(enabledAt);
    await this.redis.hset(key, 'enabledAt', now, 'enabledFor', trigger.scheduleInterval ?? '');
    return now;
  }

  /** An inactive trigger forgets when it was enabled, so enabling it again starts afresh (as Mage). */
  async disabled(trigger: Trigger): Promise<void> {
    await this.redis.hdel(this.key(trigger.id), 'enabledAt', 'enabledFor');
  }

  async lastExecution(trigger: Trigger): Promise<number | undefined> {
    const value = await this.redis.hget(this.key(trigger.id), 'lastExecution');
    return value === null ? undefined : Number(value);
  }

  async markScheduled(trigger: Trigger, executionDate: number): Promise<void> {
    await this.redis.hset(
      this.key(trigger.id),
      'lastExecution',
      executionDate,
      ...(trigger.interval?.kind === 'once' ? ['once', executionDate] : []),
    );
  }

  /** Whether an @once trigger already made its run (Mage: `pipeline_runs_count > 0`). */
  async onceDone(trigger: Trigger): Promise<boolean> {
    return (await this.redis.hexists(this.key(trigger.id), 'once')) === 1;
  }

  async recordRun(triggerId: number, runId: number, executionDate: number): Promise<void> {
    await this.redis.zadd(this.runsKey(triggerId), executionDate, runId);
  }

  /** The trigger's runs not yet seen finished, oldest execution date first (records that vanished are dropped). */
  async trackedRuns(store: RunStore, triggerId: number): Promise<TriggerRun[]> {
    const raw = await this.redis.zrange(this.runsKey(triggerId), 0, -1, 'WITHSCORES');
    const runs: TriggerRun[] = [];
    for (let index = 0; index < raw.length; index += 2) {
      const run = await store.getRunRecord(Number(raw[index]));
      if (run) runs.push({ run, executionDate: Number(raw[index + 1]) });
      else await this.redis.zrem(this.runsKey(triggerId), raw[index]!);
    }
    return runs;
  }

  /** Runs that are waiting or running (Mage's `initial` and `running`). */
  async unfinishedRuns(store: RunStore, triggerId: number): Promise<TriggerRun[]> {
    return (await this.trackedRuns(store, triggerId)).filter(({ run }) => !TERMINAL_RUN_STATES.has(run.state));
  }

  /** Stops tracking a finished run; a succeeded one's runtime joins the landing-time samples. */
  async forgetFinished(triggerId: number, run: RunRecord): Promise<void> {
    // A retried run's runtime is its last go's: the time between its failure and its retry is no part of it.
    const startedAt = latestGoStartedAt(run);
    if (run.state === 'succeeded' && startedAt !== undefined && run.finishedAt !== undefined) {
      const runtimes = this.key(triggerId, ':runtimes');
      await this.redis
        .multi()
        .lpush(runtimes, Math.round((run.finishedAt - startedAt) / 1000))
        .ltrim(runtimes, 0, RUNTIME_SAMPLES - 1)
        .exec();
    }
    await this.redis.eval(
      FORGET_IF_FINISHED_LUA,
      2,
      this.runsKey(triggerId),
      runKeys(this.prefix).run(run.id),
      String(run.id),
      ...TERMINAL_RUN_STATES,
    );
  }

  async recentRuntimes(triggerId: number): Promise<number[]> {
    return (await this.redis.lrange(this.key(triggerId, ':runtimes'), 0, -1)).map(Number);
  }
}
