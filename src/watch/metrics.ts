import { Counter, Gauge, Histogram } from 'prom-client';

/** The watcher's Prometheus metrics, on prom-client's default registry (served at /metrics). */

export const outcomesTotal = new Counter({
  name: 'kubedispatch_watcher_outcomes_total',
  help: 'Attempt outcomes the watcher recorded, by result and reason',
  labelNames: ['result', 'reason'] as const,
});

export const decisionLatency = new Histogram({
  name: 'kubedispatch_watcher_decision_latency_seconds',
  help: 'From the Job or pod finishing (as Kubernetes reports it) to the outcome being recorded',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60],
});

export const watchRestartsTotal = new Counter({
  name: 'kubedispatch_watcher_watch_restarts_total',
  help: 'Watches started again, by resource and cause (idle, gone = 410 relist, closed, error)',
  labelNames: ['resource', 'cause'] as const,
});

export const leaseHolder = new Gauge({
  name: 'kubedispatch_watcher_lease_holder',
  help: '1 while this watcher holds the lease and acts, 0 while it is a standby',
});

export const trackedObjects = new Gauge({
  name: 'kubedispatch_watcher_tracked_objects',
  help: 'Jobs and pods in the watcher cache',
  labelNames: ['resource'] as const,
});

export const orphanJobsTotal = new Counter({
  name: 'kubedispatch_watcher_orphan_jobs_total',
  help: 'Jobs found whose run no longer exists, by cause (other-epoch: made before Redis lost its data; run-missing: run record gone)',
  labelNames: ['cause'] as const,
});

export const orphanJobsDeletedTotal = new Counter({
  name: 'kubedispatch_watcher_orphan_jobs_deleted_total',
  help: 'Orphaned Jobs deleted after watcher.orphanGraceMs, by cause',
  labelNames: ['cause'] as const,
});
