import type { V1Job } from '@kubernetes/client-node';
import { classifyApiError, KubeApiError } from '../k8s/api-error.ts';
import { retryTransient, type ApiRetryPolicy } from '../k8s/api-retry.ts';
import type { Cluster } from '../k8s/cluster.ts';
import type { Logger } from '../observability/logger.ts';
import { describeJobIdentity, sameIdentity } from '../render/identity.ts';
import type { ApiGate } from './api-gate.ts';
import { dispatcherMetrics } from './metrics.ts';
import { Semaphore } from './semaphore.ts';

export interface JobCreatorOptions {
  cluster: Cluster;
  gate: ApiGate;
  retry: ApiRetryPolicy;
  /** Job-creating requests this process has in flight at most. */
  createConcurrency: number;
  logger: Logger;
  /** Aborted when the process stops: backoff sleeps end at once. */
  signal?: AbortSignal;
}

/**
 * Thrown instead of sending a create once the attempt is no longer this caller's to create
 * (another dispatcher recorded its Job, or it was decided or cancelled meanwhile).
 */
export class AttemptMovedOnError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AttemptMovedOnError';
  }
}

/** A 409 whose Job is gone by the time we read it is retried; more than this means something loops. */
const MAX_CONFLICT_ROUNDS = 3;

/**
 * Creates an attempt's Job exactly once however often it is asked: the Job name is fixed per
 * attempt, so a 409 means an earlier try (ours, or a dispatcher that died) already created it,
 * which we adopt when its identity labels are this attempt's.
 */
export class JobCreator {
  private readonly options: JobCreatorOptions;
  private readonly inFlight: Semaphore;

  constructor(options: JobCreatorOptions) {
    this.options = options;
    this.inFlight = new Semaphore(options.createConcurrency);
  }

  /** The cluster its Jobs go to, as attempts record it. */
  get clusterName(): string {
    return this.options.cluster.name;
  }

  /**
   * Returns whether the Job was adopted (it existed) rather than created by this call.
   * `stillWanted` is asked right before every create request, after the shared limits and this
   * process's create slots let it through: a create retried after an error, or held up, may otherwise land after
   * the attempt's Job was created by another dispatcher, finished and deleted, and run it twice.
   * When it answers false, AttemptMovedOnError is thrown and nothing is sent.
   */
  async create(namespace: string, job: V1Job, stillWanted?: () => Promise<boolean>): Promise<{ adopted: boolean }> {
    const name = job.metadata?.name ?? '';
    const started = Date.now();
    const { cluster } = this.options;
    for (let round = 1; round <= MAX_CONFLICT_ROUNDS; round += 1) {
      try {
        const operation = `create Job ${namespace}/${name}`;
        // Asked once this process's create slot is ours, right before the request goes out.
        await this.withRetry(
          operation,
          () =>
            this.inFlight.run(async () => {
              if (stillWanted && !(await stillWanted()))
                throw new AttemptMovedOnError(`${operation}: the attempt moved on; not creating its Job`);
              return cluster.createJob(namespace, job);
            }),
          true,
        );
        dispatcherMetrics.jobsCreated.inc();
        dispatcherMetrics.createSeconds.observe((Date.now() - started) / 1000);
        return { adopted: false };
      } catch (thrown) {
        if (!(thrown instanceof KubeApiError) || thrown.code !== 'conflict') throw thrown;
      }
      const existing = await this.read(namespace, name);
      if (existing === undefined) continue;
      if (!sameIdentity(existing, job)) {
        throw new KubeApiError(
          'permanent',
          `Job ${namespace}/${name} already exists but belongs to ${describeJobIdentity(existing)}, not to ${describeJobIdentity(job)} (Job name collision: it was created outside kubedispatch, or by another kubedispatch installation using this namespace; give each installation its own namespace or job_name_prefix)`,
          { status: 409, reason: 'JobNameCollision' },
        );
      }
      this.options.logger.info({ namespace, job: name }, "Job already existed with this attempt's identity; adopted");
      dispatcherMetrics.jobsAdopted.inc();
      dispatcherMetrics.createSeconds.observe((Date.now() - started) / 1000);
      return { adopted: true };
    }
    throw new KubeApiError(
      'transient',
      `create Job ${namespace}/${name}: the Job kept appearing and disappearing (409, then 404 on read)`,
      {
        status: 409,
      },
    );
  }

  /** Deletes a Job and its pods, retrying transient errors; a Job already gone is fine. */
  delete(namespace: string, name: string): Promise<void> {
    return this.withRetry(`delete Job ${namespace}/${name}`, () => this.options.cluster.deleteJob(namespace, name));
  }

  /** Undefined when the Job is gone. */
  private read(namespace: string, name: string): Promise<V1Job | undefined> {
    return this.withRetry(`read Job ${namespace}/${name}`, () => this.options.cluster.readJob(namespace, name));
  }

  /** `gated`: a Job-creating request, which passes the shared limits (reads and deletes do not). */
  private withRetry<T>(operation: string, call: () => Promise<T>, gated = false): Promise<T> {
    const { gate, retry, signal, logger } = this.options;
    return retryTransient(
      operation,
      async () => {
        try {
          return await call();
        } catch (thrown) {
          if (thrown instanceof AttemptMovedOnError) throw thrown;
          const error = classifyApiError(thrown, operation);
          dispatcherMetrics.apiErrors.inc({ class: error.code });
          throw error;
        }
      },
      retry,
      {
        beforeTry: gated ? () => gate.beforeRequest(signal) : undefined,
        passThrough: (thrown) => thrown instanceof AttemptMovedOnError,
        signal,
        onRetry: async (error, delayMs) => {
          logger.warn({ err: error, delayMs }, 'transient Kubernetes API error; retrying');
          if (gated) await gate.onTransientError(error);
        },
      },
    );
  }
}
