import type { V1Job } from '@kubernetes/client-node';
import { identityLabels } from '../../../src/render/identity.ts';
import type { RunStore } from '../../../src/runs/run-store.ts';

export interface AttemptJob {
  runId: number;
  blockRunId: number;
  attempt: number;
  namespace: string;
  jobName: string;
  /** The installation epoch of the store that created the run. */
  epoch: string;
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
    executionDate: '2026-01-01T00:00:00.000Z',
    executionPartition: 'manual/20260101T000000_000000_1',
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
  return { runId, blockRunId: block.blockRunId, attempt: 1, namespace, jobName, epoch: await store.epoch() };
}

/** A Job with the identity labels (docs/design.md) of the installation `queuePrefix` on it and on its pod template. */
export function attemptJobManifest(attempt: AttemptJob, queuePrefix: string, options: JobOptions = {}): V1Job {
  const labels = identityLabels(queuePrefix, 'watch-test', 'b', {
    pipelineRunId: attempt.runId,
    blockRunId: attempt.blockRunId,
    attempt: attempt.attempt,
    trigger: '',
    epoch: attempt.epoch,
  });
  const annotations = Object.fromEntries(
    Object.entries(options.sim ?? {}).map(([key, value]) => [`sim.kubedispatch.io/${key}`, value]),
  );
  const spec: NonNullable<V1Job['spec']> = {
    backoffLimit: options.backoffLimit ?? 0,
    template: {
      metadata: { labels, annotations },
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'main', image: 'registry.example/kubedispatch/block:1.0' }],
      },
    },
  };
  if (options.activeDeadlineSeconds !== undefined) spec.activeDeadlineSeconds = options.activeDeadlineSeconds;
  if (options.ttlSecondsAfterFinished !== undefined) spec.ttlSecondsAfterFinished = options.ttlSecondsAfterFinished;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: attempt.jobName, namespace: attempt.namespace, labels },
    spec,
  };
}
