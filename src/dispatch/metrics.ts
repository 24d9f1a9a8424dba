import { Counter, Histogram } from 'prom-client';

/**
 * Dispatcher metrics on prom-client's default registry (served at `/metrics` of this process's
 * metrics listener, and of its HTTP API when it has one).
 * Created once per process: registering the same name twice throws.
 */
export const dispatcherMetrics = {
  jobsCreated: new Counter({
    name: 'kubedispatch_dispatcher_jobs_created_total',
    help: 'Jobs created by this dispatcher',
  }),
  jobsAdopted: new Counter({
    name: 'kubedispatch_dispatcher_jobs_adopted_total',
    help: "Jobs that already existed (409) with this attempt's identity labels and were adopted",
  }),
  apiErrors: new Counter({
    name: 'kubedispatch_dispatcher_api_errors_total',
    help: 'Failed Kubernetes API requests, by class (transient, permanent, conflict)',
    labelNames: ['class'] as const,
  }),
  createSeconds: new Histogram({
    name: 'kubedispatch_dispatcher_job_create_seconds',
    help: 'Time to get a Job created or adopted, retries included, rate-limit waits excluded',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  }),
  rateLimitWaits: new Counter({
    name: 'kubedispatch_dispatcher_rate_limit_waits_total',
    help: 'Times a block run waited for a shared limit: token_bucket, retry_after or namespace_slots',
    labelNames: ['limit'] as const,
  }),
  rateLimitWaitSeconds: new Histogram({
    name: 'kubedispatch_dispatcher_token_wait_seconds',
    help: 'Time spent waiting for a token of the shared API token bucket',
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
  }),
};
