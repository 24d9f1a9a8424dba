import type { V1Job } from '@kubernetes/client-node';

export interface JobShape {
  name: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
}

/** A minimal valid Job whose pod behaves as `annotations` declare (docs/design.md, simulated pod behaviour). */
export function jobManifest(shape: JobShape): V1Job {
  const spec: NonNullable<V1Job['spec']> = {
    template: {
      metadata: {
        labels: { 'kubedispatch.io/contract': 'true', ...shape.labels },
        annotations: { ...shape.annotations },
      },
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'main', image: 'registry.example/kubedispatch/contract:1.0' }],
      },
    },
  };
  if (shape.backoffLimit !== undefined) spec.backoffLimit = shape.backoffLimit;
  if (shape.activeDeadlineSeconds !== undefined) spec.activeDeadlineSeconds = shape.activeDeadlineSeconds;
  if (shape.ttlSecondsAfterFinished !== undefined) spec.ttlSecondsAfterFinished = shape.ttlSecondsAfterFinished;
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: shape.name, labels: { ...shape.labels } }, spec };
}

export function conditionTypes(job: V1Job): string[] {
  return (job.status?.conditions ?? []).filter((item) => item.status === 'True').map((item) => item.type);
}

export function isFinished(job: V1Job): boolean {
  return conditionTypes(job).some((type) => type === 'Complete' || type === 'Failed');
}

/** The parsed Status body of an ApiException. */
export function statusOf(error: unknown): {
  code: number;
  reason: string;
  message: string;
  details?: { causes?: Array<{ field: string }> };
} {
  const body = (error as { body?: string }).body;
  return JSON.parse(body ?? '{}');
}
