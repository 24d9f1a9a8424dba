import { KubeApiError } from '../k8s/api-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { RunStore } from '../runs/run-store.ts';
import type { AttemptOutcome } from '../runs/types.ts';
import type { ClusterAccess } from './cluster-access.ts';
import { captureEvidence } from './log-capture.ts';
import { decisionLatency, outcomesTotal } from './metrics.ts';
import type { ObjectCache } from './object-cache.ts';
import { OrphanJobs } from './orphan-jobs.ts';
import { decideOutcome, type Decision, type Verdict } from './outcome-decision.ts';
import type { SlimJob } from './slim-objects.ts';

export interface ReconcilerSettings {
  pullErrorGraceMs: number;
  podStartTimeoutMs: number;
  logTailLines: number;
  deleteFinishedJobs: boolean;
  finishedJobGraceMs: number;
}

export interface ReconcilerDeps {
  cache: ObjectCache;
  cluster: ClusterAccess;
  outcomes: Pick<RunStore, 'recordOutcome' | 'getOutcome' | 'epoch'>;
  /** True while this watcher holds the lease; checked again before every write. */
  acting: () => boolean;
  /** Reconcile `key` again at `at` (a grace period or start timeout ends). */
  recheck: (key: string, at: number) => void;
  settings: ReconcilerSettings;
  logger: Logger;
  now: () => number;
}

/**
 * Reconciles one Job (by namespace/name key) from the cached state: decides its attempt's
 * outcome, captures the evidence, records the outcome, then cleans the Job up. Idempotent:
 * a Job already handled is skipped in memory, and after a restart the recorded outcome is found
 * in Redis before any evidence is fetched again.
 */
export class Reconciler {
  readonly #deps: ReconcilerDeps;
  /** Job key → uid of the Job already handled (outcome recorded and cleanup done). */
  readonly #handled = new Map<string, string>();
  /** Job key → what it was last reported stuck on, so the log says it once. */
  readonly #stuckOn = new Map<string, string>();

  constructor(deps: ReconcilerDeps) {
    this.#deps = deps;
  }

  async reconcile(key: string): Promise<void> {
    const { cache, acting } = this.#deps;
    const job = cache.job(key);
    if (!job) {
      this.#handled.delete(key);
      this.#stuckOn.delete(key);
      return;
    }
    if (!acting()) {
      // The actor settles deleted Jobs; a standby only drops what it kept of them.
      cache.settle(key);
      return;
    }
    if (this.#handled.get(key) === job.uid) {
      if (cache.isGone(key)) {
        cache.settle(key);
        this.#handled.delete(key);
      }
      return;
    }
    if (!job.attempt) {
      this.#deps.logger.warn(
        { job: key },
        'Job carries kubedispatch labels but no valid block-run-id/attempt; ignoring it',
      );
      this.#handled.set(key, job.uid);
      return;
    }
    if (OrphanJobs.ofOtherEpoch(job, await this.#deps.outcomes.epoch())) {
      // Made before Redis lost its data: its outcome would decide a block run of the new life. The
      // orphan sweep reports and deletes it.
      this.#handled.set(key, job.uid);
      return;
    }
    const decision = await this.#decide(key, job);
    if (decision.kind === 'pending') {
      this.#notePending(key, decision);
      return;
    }
    await this.#finish(key, job, decision.verdict);
  }

  async #decide(key: string, job: SlimJob): Promise<Decision> {
    const { cache, cluster, settings, now } = this.#deps;
    const pods = cache.podsOf(key);
    const decision = decideOutcome({ job, pods, events: undefined, now: now(), settings });
    if (decision.kind !== 'pending' || !decision.needsEvents) return decision;
    const events = await cluster.warningEvents(job.namespace, 'Job', job.name);
    return decideOutcome({ job, pods, events, now: now(), settings });
  }

  #notePending(key: string, decision: Extract<Decision, { kind: 'pending' }>): void {
    if (decision.recheckAt !== undefined) this.#deps.recheck(key, decision.recheckAt);
    const stuck = decision.waitingOn;
    if (!stuck || this.#stuckOn.get(key) === stuck.reason) return;
    this.#stuckOn.set(key, stuck.reason);
    this.#deps.logger.info(
      { job: key, reason: stuck.reason, failAt: decision.recheckAt },
      `Job waits: ${stuck.message}`,
    );
  }

  async #finish(key: string, job: SlimJob, verdict: Verdict): Promise<void> {
    const { outcomes, acting, logger } = this.#deps;
    const attempt = job.attempt!;
    // After a restart or a replayed list, a failure may be recorded already: skip its evidence.
    // A success needs none, and recording is first-writer-wins: no read on the hot path.
    if (verdict.succeeded || !(await outcomes.getOutcome(attempt))) {
      const outcome = await this.#outcome(job, verdict);
      if (!acting()) return;
      if (await outcomes.recordOutcome(attempt, outcome)) {
        outcomesTotal.inc({ result: outcome.succeeded ? 'succeeded' : 'failed', reason: outcome.reason });
        decisionLatency.observe(Math.max(0, this.#deps.now() - verdict.finishedAt) / 1000);
        logger.info({ job: key, ...attempt, succeeded: outcome.succeeded, reason: outcome.reason }, outcome.message);
      }
    }
    this.#stuckOn.delete(key);
    if (this.#deps.cache.isGone(key)) {
      this.#deps.cache.settle(key);
      return;
    }
    // Not handled while its clean-up is still to do: the lease was lost before the delete, and
    // whoever acts next (this watcher again, after re-taking the lease) must still delete it.
    if (await this.#cleanUp(job, verdict)) this.#handled.set(key, job.uid);
  }

  async #outcome(job: SlimJob, verdict: Verdict): Promise<AttemptOutcome> {
    const { succeeded, reason, message, exitCode, finishedAt } = verdict;
    const outcome: AttemptOutcome = { succeeded, reason, message, finishedAt };
    if (exitCode !== undefined) outcome.exitCode = exitCode;
    if (job.failedPods > 0) outcome.failedPods = job.failedPods;
    if (succeeded) return outcome;
    const { cluster, cache, settings, logger } = this.#deps;
    const pods = cache.podsOf(`${job.namespace}/${job.name}`);
    const evidence = await captureEvidence(cluster, job, pods, verdict, settings.logTailLines, (error) => {
      const where = { job: `${job.namespace}/${job.name}` };
      // The Job controller deletes the pods of a Job past its deadline: no log to read is expected then.
      if (error instanceof KubeApiError && error.status === 404)
        logger.debug({ ...where, reason: error.message }, 'failure evidence gone with its pod');
      else logger.warn({ ...where, err: error }, 'could not capture failure evidence');
    });
    if (evidence.logTail) outcome.logTail = evidence.logTail;
    outcome.events = evidence.events;
    return outcome;
  }

  /**
   * A Job with a TTL is left to Kubernetes (its outcome is stored, so the deletion changes
   * nothing); a pod that can never start is deleted whatever the policy, or it would try forever.
   * Returns false when the Job is still to be deleted (this watcher no longer acts).
   */
  async #cleanUp(job: SlimJob, verdict: Verdict): Promise<boolean> {
    const { settings, acting, cluster, recheck, now } = this.#deps;
    const remove = verdict.stopJob || (settings.deleteFinishedJobs && job.ttlSecondsAfterFinished === undefined);
    if (!remove) return true;
    // A finished Job stays a while, so that a late create of the same attempt gets 409 and adopts
    // it rather than running the block again; one whose pod can never start is stopped at once.
    const deleteAt = (job.finished?.at ?? 0) + settings.finishedJobGraceMs;
    if (!verdict.stopJob && job.finished?.at && deleteAt > now()) {
      recheck(`${job.namespace}/${job.name}`, deleteAt);
      return false;
    }
    if (!acting()) return false;
    await cluster.deleteJob(job.namespace, job.name);
    return true;
  }
}
