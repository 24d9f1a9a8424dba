import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { runKeys, type RunKeys } from './keys.ts';
import type {
  ActiveAttempt,
  AttemptKey,
  AttemptOutcome,
  BlockRunRecord,
  PodReport,
  RetryPolicy,
  RunRecord,
  RunWithBlocks,
} from './types.ts';

const SCRIPTS = ['create-run', 'advance-run', 'promote-waiting', 'mark-dispatching', 'mark-running', 'apply-attempt', 'cancel-run', 'mark-passed-sla'] as const;
type ScriptName = (typeof SCRIPTS)[number];

const scriptSources: Record<ScriptName, string> = Object.fromEntries(
  SCRIPTS.map((name) => [name, readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8')]),
) as Record<ScriptName, string>;

/** ioredis caches defined commands by SHA (EVALSHA), so scripts are sent once per connection. */
function commandName(script: ScriptName): string {
  return `kd_${script.replaceAll('-', '_')}`;
}

/** How long outcomes stay readable after they were recorded (they are copied into the block run too). */
const OUTCOME_TTL_SECONDS = 7 * 24 * 3600;

export interface NewRun {
  pipelineUuid: string;
  projectDir: string;
  trigger: string;
  variables: Record<string, string>;
  blockRunLimit: number;
  pipelineRunLimit: number;
  /** Blocks in topological order, so block run ids increase along the DAG. */
  blocks: { blockUuid: string; upstream: string[]; maxAttempts: number; retry: RetryPolicy }[];
  /** Snapshot of the project the run was triggered from (JSON-serialisable). */
  project: unknown;
  /** Makes creation idempotent: a second call with the same key returns the first run's id. */
  idempotencyKey?: string;
  /** See RunRecord.stopOnBlockFailure. */
  stopOnBlockFailure?: boolean;
}

export interface AdvanceResult {
  /** Blocks that became (or still are) queued: add them to the block-runs queue. */
  enqueue: { blockUuid: string; blockRunId: number; maxAttempts: number; retry: RetryPolicy }[];
  /** The run's final state when this call finished it, else ''. */
  finished: '' | 'succeeded' | 'failed';
  pipelineUuid: string;
}

export interface CancelResult {
  cancelled: boolean;
  pipelineUuid: string;
  /** Attempts whose Jobs may exist: delete them, and wake whoever waits on them. */
  attempts: (AttemptKey & { blockUuid: string; jobName: string; namespace: string })[];
}

export type DispatchPermit = 'ok' | 'cancelled' | 'terminal' | 'missing';
export type AttemptResultState = 'succeeded' | 'condition_failed' | 'failed' | 'retrying' | 'cancelled';
/** The state a run stopped from outside ends in. */
export type CancelledRunState = 'cancelled' | 'failed';

/** Lua turns empty arrays into empty objects; read every list field through this. */
function asArray<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

function parseBlock(raw: string): BlockRunRecord {
  const block = JSON.parse(raw) as BlockRunRecord;
  block.upstream = asArray(block.upstream);
  block.attempts = asArray(block.attempts);
  for (const attempt of block.attempts) {
    if (attempt.outcome) normaliseOutcome(attempt.outcome);
  }
  if (block.logTail !== undefined) block.logTail = asArray(block.logTail);
  if (block.events !== undefined) block.events = asArray(block.events);
  return block;
}

function normaliseOutcome(outcome: AttemptOutcome): AttemptOutcome {
  if (outcome.logTail !== undefined) outcome.logTail = asArray(outcome.logTail);
  if (outcome.events !== undefined) outcome.events = asArray(outcome.events);
  return outcome;
}

/**
 * The run/block-run state machine in Redis. Every transition is one Lua script, so concurrent
 * schedulers, dispatchers and watchers never interleave half-done changes, and every transition
 * is idempotent, so replaying it after a crash is harmless.
 */
export class RunStore {
  readonly keys: RunKeys;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly now: () => number;

  constructor(redis: Redis, prefix: string, now: () => number = Date.now) {
    this.redis = redis;
    this.prefix = prefix;
    this.keys = runKeys(prefix);
    this.now = now;
  }

  private async script(name: ScriptName, args: (string | number)[]): Promise<unknown> {
    const command = commandName(name);
    if (!(command in this.redis)) this.redis.defineCommand(command, { numberOfKeys: 0, lua: scriptSources[name] });
    const commands = this.redis as unknown as Record<string, (...args: (string | number)[]) => Promise<unknown>>;
    return commands[command]!(this.prefix, ...args);
  }

  async createRun(run: NewRun): Promise<number> {
    const record = {
      pipelineUuid: run.pipelineUuid,
      projectDir: run.projectDir,
      trigger: run.trigger,
      variables: run.variables,
      blockRunLimit: run.blockRunLimit,
      pipelineRunLimit: run.pipelineRunLimit,
      ...(run.stopOnBlockFailure ? { stopOnBlockFailure: true } : {}),
    };
    const id = await this.script('create-run', [
      JSON.stringify(record),
      JSON.stringify(run.blocks),
      JSON.stringify(run.project),
      this.now(),
      run.idempotencyKey ?? '',
    ]);
    return Number(id);
  }

  async advanceRun(runId: number): Promise<AdvanceResult> {
    const raw = (await this.script('advance-run', [runId, this.now()])) as string;
    const result = JSON.parse(raw) as AdvanceResult;
    result.enqueue = asArray(result.enqueue);
    return result;
  }

  /** Starts waiting runs of `pipelineUuid` that its pipeline_run_limit now allows. */
  async promoteWaitingRuns(pipelineUuid: string): Promise<number[]> {
    return asArray<number>(await this.script('promote-waiting', [pipelineUuid, this.now()]));
  }

  async markDispatching(runId: number, blockUuid: string, attempt: number): Promise<DispatchPermit> {
    return (await this.script('mark-dispatching', [runId, blockUuid, attempt, this.now()])) as DispatchPermit;
  }

  /** Returns false when the block finished or moved on meanwhile (e.g. its run was cancelled). */
  async markRunning(runId: number, blockUuid: string, attempt: number, jobName: string, namespace: string): Promise<boolean> {
    return (await this.script('mark-running', [runId, blockUuid, attempt, jobName, namespace, this.now()])) === 1;
  }

  /** Applies an attempt's outcome to its block run; false when already applied or superseded. */
  async applyAttemptResult(runId: number, blockUuid: string, attempt: number, state: AttemptResultState, outcome: AttemptOutcome): Promise<boolean> {
    return (await this.script('apply-attempt', [runId, blockUuid, attempt, state, JSON.stringify(outcome), this.now()])) === 1;
  }

  /** `finalState` 'failed' ends the run failed instead (a trigger's `timeout_status`); the blocks are cancelled either way. */
  async cancelRun(runId: number, reason: string, finalState: CancelledRunState = 'cancelled'): Promise<CancelResult> {
    const result = JSON.parse((await this.script('cancel-run', [runId, reason, this.now(), finalState])) as string) as CancelResult;
    result.attempts = asArray(result.attempts);
    return result;
  }

  /** The run an idempotency key created, if any. */
  async runIdForKey(idempotencyKey: string): Promise<number | undefined> {
    const id = await this.redis.get(`${this.prefix}:run-key:${idempotencyKey}`);
    return id === null ? undefined : Number(id);
  }

  /** Sets Mage's `passed_sla` on the run; true only for the call that set it. */
  async markPassedSla(runId: number): Promise<boolean> {
    return (await this.script('mark-passed-sla', [runId])) === 1;
  }

  /**
   * Records the watcher's decision about one attempt, durably and first-writer-wins, then wakes
   * whoever waits for it. Returns false when an outcome was already recorded.
   */
  async recordOutcome(key: AttemptKey, outcome: AttemptOutcome): Promise<boolean> {
    const id = `${key.blockRunId}:${key.attempt}`;
    const stored = await this.redis.set(this.keys.outcome(key.blockRunId, key.attempt), JSON.stringify(outcome), 'EX', OUTCOME_TTL_SECONDS, 'NX');
    if (stored !== 'OK') return false;
    await this.redis.publish(this.keys.outcomesChannel, id);
    return true;
  }

  /**
   * Stores what the attempt's pod reported (first report wins, kept as long as outcomes). Returns
   * the report now stored: the given one, or the earlier one when there was one.
   */
  async recordReport(key: AttemptKey, report: PodReport): Promise<PodReport> {
    const redisKey = this.keys.report(key.blockRunId, key.attempt);
    const stored = await this.redis.set(redisKey, JSON.stringify(report), 'EX', OUTCOME_TTL_SECONDS, 'NX');
    if (stored === 'OK') return report;
    return (await this.getReport(key)) ?? report;
  }

  async getReport(key: AttemptKey): Promise<PodReport | undefined> {
    const raw = await this.redis.get(this.keys.report(key.blockRunId, key.attempt));
    return raw === null ? undefined : (JSON.parse(raw) as PodReport);
  }

  async getOutcome(key: AttemptKey): Promise<AttemptOutcome | undefined> {
    const raw = await this.redis.get(this.keys.outcome(key.blockRunId, key.attempt));
    return raw === null ? undefined : normaliseOutcome(JSON.parse(raw) as AttemptOutcome);
  }

  async getOutcomes(keys: readonly AttemptKey[]): Promise<(AttemptOutcome | undefined)[]> {
    if (keys.length === 0) return [];
    const raws = await this.redis.mget(keys.map((k) => this.keys.outcome(k.blockRunId, k.attempt)));
    return raws.map((raw) => (raw === null ? undefined : normaliseOutcome(JSON.parse(raw) as AttemptOutcome)));
  }

  async getRunRecord(runId: number): Promise<RunRecord | undefined> {
    const raw = await this.redis.get(this.keys.run(runId));
    return raw === null ? undefined : (JSON.parse(raw) as RunRecord);
  }

  async getRun(runId: number): Promise<RunWithBlocks | undefined> {
    const [run, blocks] = await Promise.all([this.getRunRecord(runId), this.redis.hvals(this.keys.blocks(runId))]);
    if (!run) return undefined;
    const parsed = blocks.map(parseBlock).sort((a, b) => a.blockRunId - b.blockRunId);
    return { ...run, variables: run.variables ?? {}, blocks: parsed };
  }

  async getBlock(runId: number, blockUuid: string): Promise<BlockRunRecord | undefined> {
    const raw = await this.redis.hget(this.keys.blocks(runId), blockUuid);
    return raw === null ? undefined : parseBlock(raw);
  }

  async getProjectSnapshot<T>(runId: number): Promise<T | undefined> {
    const raw = await this.redis.get(this.keys.project(runId));
    return raw === null ? undefined : (JSON.parse(raw) as T);
  }

  async activeRunIds(): Promise<number[]> {
    return (await this.redis.smembers(this.keys.activeRuns)).map(Number).sort((a, b) => a - b);
  }

  /** Most recent runs first. */
  async recentRunIds(limit: number): Promise<number[]> {
    return (await this.redis.zrevrange(this.keys.allRuns, 0, limit - 1)).map(Number);
  }

  /** Attempts whose Jobs exist and whose outcome is not applied yet (for the watcher's sweep). */
  async activeAttempts(): Promise<ActiveAttempt[]> {
    return (await this.redis.hvals(this.keys.activeAttempts)).map((raw) => JSON.parse(raw) as ActiveAttempt);
  }
}
