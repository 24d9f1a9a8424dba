import type { MageSchedule } from '../mage/schedule.ts';

/**
 * Run state as stored in Redis. A pipeline run owns one block run per block; each block run may
 * take several attempts, each attempt is one Kubernetes Job.
 */

export const RUN_STATES = ['waiting', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type RunState = (typeof RUN_STATES)[number];

export type BlockRunState =
  | 'pending' // waiting for upstream blocks
  | 'queued' // in the block-runs queue
  | 'dispatching' // a dispatcher is rendering / creating its Job
  | 'running' // its Job exists; the watcher decides the outcome
  | 'retrying' // an attempt failed; the queue retries it after the retry delay
  | 'succeeded'
  | 'failed'
  | 'upstream_failed'
  // Mage reported that a conditional of the block (or of an upstream block) returned False: done, not failed.
  | 'condition_failed'
  | 'cancelled';

export const TERMINAL_BLOCK_STATES: ReadonlySet<BlockRunState> = new Set([
  'succeeded',
  'failed',
  'upstream_failed',
  'condition_failed',
  'cancelled',
]);
/** Terminal block states that let their run succeed (Mage's `all_blocks_completed`). */
export const DONE_BLOCK_STATES: ReadonlySet<BlockRunState> = new Set(['succeeded', 'condition_failed']);
export const TERMINAL_RUN_STATES: ReadonlySet<RunState> = new Set(['succeeded', 'failed', 'cancelled']);

/** What the watcher decided about one attempt (one Job). */
export interface AttemptOutcome {
  succeeded: boolean;
  /** Set when the run was cancelled while this attempt was active: not a failure of the block. */
  cancelled?: boolean;
  /** Machine-readable reason: `Complete`, `BackoffLimitExceeded`, `DeadlineExceeded`, `OOMKilled`, `ImagePullBackOff`, `Unschedulable`, `JobDeleted`, `Cancelled`… */
  reason: string;
  /** Human-readable explanation (the scheduler's, the kubelet's or the API's message). */
  message: string;
  exitCode?: number;
  /** Pods of the attempt's Job that failed and were retried by Kubernetes under `backoffLimit`. */
  failedPods?: number;
  /** Last lines of the failed container's log, captured before the Job can be garbage-collected. */
  logTail?: string[];
  /** Warning events of the Job and its pods (`Reason: message`). */
  events?: string[];
  /** When the watcher saw the terminal state (ms since epoch). */
  finishedAt: number;
  /** The installation epoch it was recorded in (set by `recordOutcome`; see epoch.ts). */
  epoch?: string;
  /** What Mage reported from inside the pod for this attempt (`--callback-url`), when it did. */
  reported?: ReportedStatus;
}

/** The statuses Mage's block executor PUTs to its `--callback-url`. */
export const REPORTED_STATUSES = ['completed', 'failed', 'condition_failed'] as const;
export type ReportedStatus = (typeof REPORTED_STATUSES)[number];

/** What the pod of one attempt reported through the callback endpoint. */
export interface PodReport {
  status: ReportedStatus;
  /** Mage's `error_details` as sent (only with `failed`). */
  errorDetails?: unknown;
  /** When kubedispatch received it (ms since epoch). */
  reportedAt: number;
}

export interface AttemptRecord {
  attempt: number;
  jobName?: string;
  namespace?: string;
  /** The dispatcher's cluster (Cluster.name) when it recorded the Job. */
  cluster?: string;
  startedAt?: number;
  finishedAt?: number;
  outcome?: AttemptOutcome;
}

/** Mage's block `retry_config`, resolved: a failed attempt is retried `retries` times. */
export interface RetryPolicy {
  retries: number;
  delaySeconds: number;
  exponentialBackoff: boolean;
  maxDelaySeconds: number;
}

export interface BlockRunRecord {
  blockUuid: string;
  blockRunId: number;
  upstream: string[];
  state: BlockRunState;
  /** Current (or last) attempt number, 1-based; 0 before the first dispatch. */
  attempt: number;
  maxAttempts: number;
  retry: RetryPolicy;
  jobName?: string;
  namespace?: string;
  /** Of the current (or last) attempt: see AttemptRecord.cluster. */
  cluster?: string;
  reason?: string;
  message?: string;
  exitCode?: number;
  /** Of the current (or last) attempt's Job: see AttemptOutcome.failedPods. */
  failedPods?: number;
  logTail?: string[];
  events?: string[];
  queuedAt?: number;
  startedAt?: number;
  finishedAt?: number;
  attempts: AttemptRecord[];
  /**
   * Attempts made before the block's latest retry (`retryRun`): its attempts now count on from
   * here, each go with `maxAttempts` of its own. Absent before the first retry (0).
   */
  attemptBase?: number;
  /** How many times the block was retried (`retryRun`): each go has its own queue job. Absent: 0. */
  retryGeneration?: number;
}

export interface RunRecord {
  id: number;
  pipelineUuid: string;
  projectDir: string;
  trigger: string;
  /** The run's own variables (Mage's pipeline_run.variables), any JSON values. */
  variables: Record<string, unknown>;
  /** Mage's execution_date, ISO 8601 in UTC; absent in runs created before it was recorded (createdAt stands in). */
  executionDate?: string;
  /** Mage's execution partition of the run (src/mage/execution-partition.ts); absent in older runs. */
  executionPartition?: string;
  /** The Mage trigger that made the run; absent for manual runs. */
  schedule?: MageSchedule;
  /** Mage's event_variables (API-trigger body keys other than pipeline_run). */
  eventVariables?: Record<string, unknown>;
  state: RunState;
  reason?: string;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  blockRunLimit: number;
  pipelineRunLimit: number;
  /** The idempotency key it was created with, if any (its `P:run-key:*` goes when the run is pruned). */
  idempotencyKey?: string;
  /** Hash of the HTTP request whose Idempotency-Key created the run. */
  requestHash?: string;
  /** A failed block cancels the run's pending and queued blocks (a trigger without Mage's `allow_blocks_to_fail`). */
  stopOnBlockFailure?: boolean;
  /** Mage's `passed_sla`: the run of a trigger with `sla` was not finished `sla` seconds after its execution date. */
  passedSla?: boolean;
  /** How many times the run's unfinished blocks were retried after it ended (`retryRun`). */
  retries?: number;
  /** When it was last retried (ms since epoch). */
  retriedAt?: number;
}

export interface RunWithBlocks extends RunRecord {
  blocks: BlockRunRecord[];
}

/** Identifies one attempt of one block run; the watcher reads these from the Job's labels. */
export interface AttemptKey {
  blockRunId: number;
  attempt: number;
}

/** An attempt whose Job exists (or is being created) and has no applied outcome yet. */
export interface ActiveAttempt extends AttemptKey {
  runId: number;
  blockUuid: string;
  namespace: string;
  jobName: string;
  since: number;
}
