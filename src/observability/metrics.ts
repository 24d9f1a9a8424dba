import { collectDefaultMetrics, Gauge, register, type Registry } from 'prom-client';
import type { Queue } from 'bullmq';

/** Queue states exported as gauges: what an operator watches for backlog and trouble. */
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/** Queues whose counts the gauge reports; several servers in one process (tests) share it. */
const observedQueues = new Set<Queue>();
let queueGauge: Gauge<'queue' | 'state'> | undefined;

/** The registry `/metrics` serves: prom-client's default one, with process metrics collected once. */
export function metricsRegistry(): Registry {
  if (!queueGauge) {
    collectDefaultMetrics();
    queueGauge = new Gauge({
      name: 'kubedispatch_queue_jobs',
      help: 'Jobs in each BullMQ queue by state (read from Redis at scrape time)',
      labelNames: ['queue', 'state'],
      async collect() {
        this.reset();
        for (const queue of observedQueues) {
          const counts = await queue.getJobCounts(...QUEUE_STATES);
          for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
        }
      },
    });
  }
  return register;
}

/** Reports the queues' counts on every scrape until the returned function is called. */
export function observeQueues(queues: readonly Queue[]): () => void {
  for (const queue of queues) observedQueues.add(queue);
  return () => {
    for (const queue of queues) observedQueues.delete(queue);
  };
}
