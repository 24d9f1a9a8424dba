import type { V1Job } from '@kubernetes/client-node';
import type { RunStore } from '../../../src/runs/run-store.ts';

export interface AttemptJob {
  runId: number;
  blockRunId: number;
  attempt: number;
  namespace: string;
  jobName: string;
}

export interface JobOptions {
  /** Simulated pod behaviour (docs/design.md): duration, exit-code, behavior, logs… without the prefix. */
  sim?: Record<string, string>;
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
}

const retry = { retries: 0, delaySeconds: 1, exponentialBackoff: false, maxDelaySeconds: 1 };

/** Creates a one-block run and moves its first attempt to `running`, as a dispatcher would. */
export async function runningAttempt(store: RunStore, namespace: string): Promise<AttemptJob> {
  const runId = await store.createRun({
    pipelineUuid: 'watch-test',
    projectDir: '/p',
    trigger: '',
    variables: {},
    blockRunLimit: 0,
    pipelineRunLimit: 0,
    blocks: [{ blockUuid: 'b', upstream: [], maxAttempts: 1, retry }],
    project: {},
  });
  await store.advanceRun(runId);
  const block = (await store.getBlock(runId, 'b'))!;
  const jobName = `mage-wt-block-${block.blockRunId}`;
  if ((await store.markDispatching(runId, 'b', 1)) !== 'ok') throw new Error('markDispatching refused');
  if (!(await store.markRunning(runId, 'b', 1, jobName, namespace))) throw new Error('markRunning refused');
  return { runId, blockRunId: block.blockRunId, attempt: 1, namespace, jobName };
}

/** A Job with kubedispatch's identity labels (docs/design.md) on it and on its pod template. */
export function attemptJobManifest(attempt: AttemptJob, options: JobOptions = {}): V1Job {
  const labels = {
    'app.kubernetes.io/managed-by': 'kubedispatch',
    'kubedispatch.io/pipeline': 'watch-test',
    'kubedispatch.io/block': 'b',
    'kubedispatch.io/pipeline-run-id': String(attempt.runId),
    'kubedispatch.io/block-run-id': String(attempt.blockRunId),
    'kubedispatch.io/trigger': '',
    'kubedispatch.io/attempt': String(attempt.attempt),
  };
  const annotations = Object.fromEntries(Object.entries(options.sim ?? {}).map(([key, value]) => [`sim.kubedispatch.io/${key}`, value]));
  const spec: NonNullable<V1Job['spec']> = {
    backoffLimit: options.backoffLimit ?? 0,
    template: {
      metadata: { labels, annotations },
      spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'registry.example/kubedispatch/block:1.0' }] },
    },
  };
  if (options.activeDeadlineSeconds !== undefined) spec.activeDeadlineSeconds = options.activeDeadlineSeconds;
  if (options.ttlSecondsAfterFinished !== undefined) spec.ttlSecondsAfterFinished = options.ttlSecondsAfterFinished;
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: attempt.jobName, namespace: attempt.namespace, labels }, spec };
}
