import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { EPOCH_GUARD_LUA, EpochLostError, ensureEpoch, isEpochLostReply, readEpoch } from './epoch.ts';
import type { BlockRunToEnqueue } from './block-run-queue.ts';
import { runKeys, type RunKeys } from './keys.ts';
import type {
  ActiveAttempt,
  AttemptKey,
  AttemptOutcome,
  BlockRunRecord,
  PodReport,
  RetryPolicy,
  RunRecord,
  RunState,
  RunWithBlocks,
} from './types.ts';
import type { MageSchedule } from '../mage/schedule.ts';

const SCRIPTS = [
  'create-run',
  'advance-run',
  'promote-waiting',
  'mark-dispatching',
  'mark-running',
  'apply-attempt',
  'cancel-run',
  'record-outcome',
  'prune-runs',
  'mark-passed-sla',
  'retry-run',
] as const;
type ScriptName = (typeof SCRIPTS)[number];

/** Lua functions (./lua/lib) that more than one script needs, prepended to each that does. */
const SCRIPT_LIBRARIES: Partial<Record<ScriptName, string[]>> = {
  'create-run': ['start-or-wait'],
  'retry-run': ['start-or-wait'],
};

const luaFile = (path: string): string => readFileSync(new URL(`./lua/${path}.lua`, import.meta.url), 'utf8');

const scriptSources: Record<ScriptName, string> = Object.fromEntries(
  // Every script writes only while Redis is in the life (epoch) the caller started in.
  SCRIPTS.map((name) => [
    name,
    [EPOCH_GUARD_LUA, ...(SCRIPT_LIBRARIES[name] ?? []).map((lib) => luaFile(`lib/${lib}`)), luaFile(name)].join('\n'),
  ]),
) as Record<ScriptName, string>;

/** ioredis caches defined commands by SHA (EVALSHA), so scripts are sent once per connection. */
function commandName(script: ScriptName): string {
  return `kd_${script.replaceAll('-', '_')}`;
}

/** In NewRun.executionPartition, replaced by the id create-run.lua allocates (so a manual run's partition can name its run). */
export const RUN_ID_PLACEHOLDER = '{pipeline_run_id}';

/**
 * The run fields that may hold any JSON. Lua's cjson rewrites the run record on every transition,
 * turning `[]` into `{}` and rounding numbers to 14 digits, so these travel as one JSON text that
 * the scripts never decode.
 */
type RunInputs = Pick<RunRecord, 'variables' | 'schedule' | 'eventVariables'>;
const INPUTS_FIELD = 'inputsJson';

function withInputsDecoded(stored: RunRecord & { [INPUTS_FIELD]?: string }): RunRecord {
  const { [INPUTS_FIELD]: text, ...record } = stored;
  // Runs stored before the field existed kept their (string) variables in the record itself.
  const inputs: Partial<RunInputs> = text === undefined ? {} : (JSON.parse(text) as RunInputs);
  return { ...record, ...inputs, variables: inputs.variables ?? record.variables ?? {} };
}

/** How long outcomes stay readable after they were recorded (they are copied into the block run too). */
const OUTCOME_TTL_SECONDS = 7 * 24 * 3600;

export interface NewRun {
  pipelineUuid: string;
  projectDir: string;
  trigger: string;
  variables: Record<string, unknown>;
  /** ISO 8601 (UTC). */
  executionDate: string;
  /** May contain RUN_ID_PLACEHOLDER, which creation replaces with the run's id (allocated in the same step). */
  executionPartition: string;
  schedule?: MageSchedule;
  eventVariables?: Record<string, unknown>;
  blockRunLimit: number;
  pipelineRunLimit: number;
  /** Blocks in topological order, so block run ids increase along the DAG. */
  blocks: { blockUuid: string; upstream: string[]; maxAttempts: number; retry: RetryPolicy }[];
  /** Snapshot of the project the run was triggered from (JSON-serialisable). */
  project: unknown;
  /** Makes creation idempotent: a second call with the same key returns the first run's id. */
  idempotencyKey?: string;
  /** Kept in the run record, to tell a repeated request from another one with the same key. */
  requestHash?: string;
  /** See RunRecord.stopOnBlockFailure. */
  stopOnBlockFailure?: boolean;
}

export interface AdvanceResult {
  /** Blocks that became queued (in a repair, also those never confirmed enqueued): add them to the block-runs queue. */
  enqueue: BlockRunToEnqueue[];
  /** The run's final state when this call finished it, else ''. */
  finished: '' | 'succeeded' | 'failed';
  pipelineUuid: string;
}

/** A block a cancel ended, with the go it was on (see retryRun): its latest attempt, and that attempt's Job ('' for none). */
export interface CancelledGo extends AttemptKey {
  blockUuid: string;
  /** The attempt is of this go only when above its base: else the go made none, and has no Job to delete. */
  attemptBase: number;
  generation: number;
  jobName: string;
  namespace: string;
}

export interface CancelResult {
  cancelled: boolean;
  pipelineUuid: string;
  /** The blocks this call cancelled: delete their attempts' Jobs, wake whoever waits on them, remove their queue jobs. */
  blocks: CancelledGo[];
}

export interface RetryResult {
  /** `not_finished`: the run is waiting or running; `nothing_to_retry`: every block is done (or the run succeeded). */
  result: 'retried' | 'not_finished' | 'nothing_to_retry' | 'missing';
  /** The run's state after the call ('' when it does not exist). */
  state: RunState | '';
  pipelineUuid: string;
  /** The blocks this call put back to pending, in block run id order. */
  blocks: string[];
}

export interface PruneBatch {
  scanned: number;
  /** Runs not finished by the cutoff, left in place. */
  kept: number;
  /** Run ids deleted (counted only, in a dry run). */
  deleted: number[];
}

/** `superseded`: the queue job is of a go of the block before its run was retried (see retryRun). */
export type DispatchPermit = 'ok' | 'cancelled' | 'terminal' | 'missing' | 'superseded';
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
  /** The epoch this store belongs to: Redis's when the store first needed it. */
  #epoch: Promise<string> | undefined;
  #epochValue: string | undefined;
  readonly #epochLost: ((error: EpochLostError) => void)[] = [];

  constructor(redis: Redis, prefix: string, now: () => number = Date.now) {
    this.redis = redis;
    this.prefix = prefix;
    this.keys = runKeys(prefix);
    this.now = now;
  }

  /**
   * The installation epoch this store writes in, read (or created) on first use and then kept:
   * if Redis later loses its data, this store's writes are refused (`EpochLostError`).
   */
  epoch(): Promise<string> {
    this.#epoch ??= ensureEpoch(this.redis, this.prefix).then(
      (epoch) => (this.#epochValue = epoch),
      (thrown: unknown) => {
        this.#epoch = undefined;
        throw thrown;
      },
    );
    return this.#epoch;
  }

  /** Called once per refused write after Redis lost its data (the process then stops: see epoch-guard.ts). */
  onEpochLost(listener: (error: EpochLostError) => void): void {
    this.#epochLost.push(listener);
  }

  private async script(name: ScriptName, args: (string | number)[]): Promise<unknown> {
    const epoch = await this.epoch();
    const command = commandName(name);
    if (!(command in this.redis)) this.redis.defineCommand(command, { numberOfKeys: 0, lua: scriptSources[name] });
    const commands = this.redis as unknown as Record<string, (...args: (string | number)[]) => Promise<unknown>>;
    try {
      return await commands[command]!(this.prefix, ...args, epoch);
    } catch (thrown) {
      if (!isEpochLostReply(thrown)) throw thrown;
      const lost = new EpochLostError(epoch, await readEpoch(this.redis, this.prefix).catch(() => undefined));
      for (const listener of this.#epochLost) listener(lost);
      throw lost;
    }
  }

  /** An outcome counts only in the epoch it was recorded in; one of another life of Redis is ignored. */
  #ownOutcome(raw: string | null): AttemptOutcome | undefined {
    if (raw === null) return undefined;
    const outcome = JSON.parse(raw) as AttemptOutcome;
    return outcome.epoch !== undefined && outcome.epoch === this.#epochValue ? normaliseOutcome(outcome) : undefined;
  }

  /** The attempt id (`{blockRunId}:{attempt}`) a message on the outcomes channel announces, when it is of this epoch. */
  announcedAttempt(message: string): string | undefined {
    const at = message.lastIndexOf('@');
    return at > 0 && this.#epochValue !== undefined && message.slice(at + 1) === this.#epochValue
      ? message.slice(0, at)
      : undefined;
  }

  async createRun(run: NewRun): Promise<number> {
    const record = {
      pipelineUuid: run.pipelineUuid,
      projectDir: run.projectDir,
      trigger: run.trigger,
      executionDate: run.executionDate,
      executionPartition: run.executionPartition,
      [INPUTS_FIELD]: JSON.stringify({
        variables: run.variables,
        schedule: run.schedule,
        eventVariables: run.eventVariables,
      } satisfies RunInputs),
      blockRunLimit: run.blockRunLimit,
      pipelineRunLimit: run.pipelineRunLimit,
      // Kept so that pruning the run deletes its idempotency key too.
      ...(run.idempotencyKey ? { idempotencyKey: run.idempotencyKey } : {}),
      ...(run.requestHash ? { requestHash: run.requestHash } : {}),
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

  /**
   * Moves the run on from what changed since the last call (see advance-run.lua). `repair` (the
   * sweep) also reports queued blocks that were never confirmed as enqueued (`confirmEnqueued`).
   */
  async advanceRun(runId: number, options: { repair?: boolean } = {}): Promise<AdvanceResult> {
    const raw = (await this.script('advance-run', [runId, this.now(), options.repair ? '1' : '0'])) as string;
    const result = JSON.parse(raw) as AdvanceResult;
    result.enqueue = asArray(result.enqueue);
    return result;
  }

  /** The queued blocks `advanceRun` reported are in the block-runs queue: a repair need not add them again. */
  async confirmEnqueued(runId: number, blockUuids: readonly string[]): Promise<void> {
    if (blockUuids.length > 0) await this.redis.zrem(this.keys.unannounced(runId), ...blockUuids);
  }

  /** Starts waiting runs of `pipelineUuid` that its pipeline_run_limit now allows. */
  async promoteWaitingRuns(pipelineUuid: string): Promise<number[]> {
    return asArray<number>(await this.script('promote-waiting', [pipelineUuid, this.now()]));
  }

  /** `generation`: the retry generation of the queue job asking (BlockRunJobData.generation). */
  async markDispatching(runId: number, blockUuid: string, attempt: number, generation = 0): Promise<DispatchPermit> {
    return (await this.script('mark-dispatching', [
      runId,
      blockUuid,
      attempt,
      this.now(),
      generation,
    ])) as DispatchPermit;
  }

  /** Returns false when the block finished or moved on meanwhile (e.g. its run was cancelled). */
  async markRunning(
    runId: number,
    blockUuid: string,
    attempt: number,
    jobName: string,
    namespace: string,
    /** Cluster.name of the dispatcher's cluster; '' records none. */
    cluster = '',
  ): Promise<boolean> {
    return (
      (await this.script('mark-running', [runId, blockUuid, attempt, jobName, namespace, this.now(), cluster])) === 1
    );
  }

  /** Applies an attempt's outcome to its block run; false when already applied or superseded. */
  async applyAttemptResult(
    runId: number,
    blockUuid: string,
    attempt: number,
    state: AttemptResultState,
    outcome: AttemptOutcome,
  ): Promise<boolean> {
    return (
      (await this.script('apply-attempt', [runId, blockUuid, attempt, state, JSON.stringify(outcome), this.now()])) ===
      1
    );
  }

  /**
   * One batch of retention: deletes up to `batch` finished runs (and all they own) that finished at
   * or before `cutoff`, among the runs created by then, from `offset` on (see prune-runs.lua).
   */
  async pruneBatch(cutoff: number, offset: number, batch: number, dryRun = false): Promise<PruneBatch> {
    const result = JSON.parse(
      (await this.script('prune-runs', [cutoff, offset, batch, dryRun ? '1' : '0'])) as string,
    ) as PruneBatch;
    result.deleted = asArray(result.deleted);
    return result;
  }

  /** How many runs the index lists that were created at or before `cutoff` (the most a prune can look at). */
  async countRunsCreatedBy(cutoff: number): Promise<number> {
    return this.redis.zcount(this.keys.allRuns, '-inf', cutoff);
  }

  /** `finalState` 'failed' ends the run failed instead (a trigger's `timeout_status`); the blocks are cancelled either way. */
  async cancelRun(runId: number, reason: string, finalState: CancelledRunState = 'cancelled'): Promise<CancelResult> {
    const result = JSON.parse(
      (await this.script('cancel-run', [runId, reason, this.now(), finalState])) as string,
    ) as CancelResult;

    result.blocks = asArray(result.blocks);
    return result;
  }

  /**
   * Puts a failed or cancelled run's blocks that are not done (neither succeeded nor
   * condition_failed) back to pending, keeping their attempts, and the run back to running (or
   * waiting): see retry-run.lua. `advanceRun` then queues what is ready. A run a trigger made is
   * that trigger's unfinished run again (`RunKeys.triggerRuns`).
   */
  async retryRun(runId: number): Promise<RetryResult> {
    const result = JSON.parse((await this.script('retry-run', [runId, this.now()])) as string) as RetryResult;
    result.blocks = asArray(result.blocks);
    if (result.result === 'retried') {
      // Its trigger forgot the run when it finished: it follows it again, as one of its unfinished runs.
      const run = await this.getRunRecord(runId);
      if (run?.schedule && run.executionDate)
        await this.redis.zadd(this.keys.triggerRuns(run.schedule.id), Date.parse(run.executionDate), runId);
    }
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
    const epoch = await this.epoch();
    const stored = await this.script('record-outcome', [
      id,
      JSON.stringify({ ...outcome, epoch }),
      OUTCOME_TTL_SECONDS,
      `${id}@${epoch}`,
    ]);
    return stored === 1;
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
    await this.epoch();
    return this.#ownOutcome(await this.redis.get(this.keys.outcome(key.blockRunId, key.attempt)));
  }

  async getOutcomes(keys: readonly AttemptKey[]): Promise<(AttemptOutcome | undefined)[]> {
    if (keys.length === 0) return [];
    await this.epoch();
    const raws = await this.redis.mget(keys.map((k) => this.keys.outcome(k.blockRunId, k.attempt)));
    return raws.map((raw) => this.#ownOutcome(raw));
  }

  async getRunRecord(runId: number): Promise<RunRecord | undefined> {
    const raw = await this.redis.get(this.keys.run(runId));
    return raw === null ? undefined : withInputsDecoded(JSON.parse(raw) as RunRecord);
  }

  /** The run records of `runIds` in one read (undefined where there is none). */
  async getRunRecords(runIds: readonly number[]): Promise<(RunRecord | undefined)[]> {
    if (runIds.length === 0) return [];
    const raws = await this.redis.mget(runIds.map((id) => this.keys.run(id)));
    return raws.map((raw) => (raw === null ? undefined : withInputsDecoded(JSON.parse(raw) as RunRecord)));
  }

  async getRun(runId: number): Promise<RunWithBlocks | undefined> {
    const [run, blocks] = await Promise.all([this.getRunRecord(runId), this.redis.hvals(this.keys.blocks(runId))]);
    if (!run) return undefined;
    const parsed = blocks.map(parseBlock).sort((a, b) => a.blockRunId - b.blockRunId);
    return { ...run, blocks: parsed };
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

  /** Which of `runIds` have a run record. */
  async existingRuns(runIds: readonly number[]): Promise<Set<number>> {
    const found = new Set<number>();
    for (let start = 0; start < runIds.length; start += 1000) {
      const batch = runIds.slice(start, start + 1000);
      const pipeline = this.redis.pipeline();
      for (const id of batch) pipeline.exists(this.keys.run(id));
      const replies = (await pipeline.exec()) ?? [];
      replies.forEach(([error, count], index) => {
        if (error) throw error;
        if (count === 1) found.add(batch[index]!);
      });
    }
    return found;
  }

  /** Up to `count` run ids of the index from position `start` on, most recent first. */
  async runIdsNewestFirst(start: number, count: number): Promise<number[]> {
    return (await this.redis.zrevrange(this.keys.allRuns, start, start + count - 1)).map(Number);
  }

  /** Where `runId` is in the index, most recent first (0: the newest); undefined when it is not there. */
  async runIndexPosition(runId: number): Promise<number | undefined> {
    return (await this.redis.zrevrank(this.keys.allRuns, String(runId))) ?? undefined;
  }

  /** Attempts whose Jobs exist and whose outcome is not applied yet (for the watcher's sweep). */
  async activeAttempts(): Promise<ActiveAttempt[]> {
    return (await this.redis.hvals(this.keys.activeAttempts)).map((raw) => JSON.parse(raw) as ActiveAttempt);
  }
}
