import { ApiException, type V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { JobCreator } from '../../../src/dispatch/create-job.ts';
import type { JobCalls } from '../../../src/k8s/api-clients.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { identityLabels } from '../../../src/render/identity.ts';

// The dispatcher's Job creation against a fake of the Kubernetes calls (src/k8s/api-clients.ts):
// the answers a real API server gives are proven in test/contract; here, what the creator does with them.

function attemptJob(attempt: number): V1Job {
  const labels = identityLabels('kd', 'pipe', 'block', { pipelineRunId: 7, blockRunId: 9, attempt, epoch: 'e1' });
  return { metadata: { name: 'job-9', labels } };
}

const conflict = (): ApiException<string> => new ApiException(409, 'conflict', '{"reason":"AlreadyExists"}', {});
const notFound = (): ApiException<string> => new ApiException(404, 'not found', '{"reason":"NotFound"}', {});

/** A fake that answers creates and reads from scripted results, counting the calls. */
function fakeJobs(creates: (() => V1Job)[], reads: (() => V1Job)[]): JobCalls & { calls: string[] } {
  const calls: string[] = [];
  const next = <T>(list: (() => T)[], what: string): Promise<T> => {
    calls.push(what);
    const answer = list.shift();
    if (!answer) throw new Error(`unexpected ${what}`);
    return Promise.resolve().then(answer);
  };
  return {
    calls,
    createNamespacedJob: () => next(creates, 'create'),
    readNamespacedJob: () => next(reads, 'read'),
    deleteNamespacedJob: () => Promise.reject(new Error('unexpected delete')),
    listJobForAllNamespaces: () => Promise.reject(new Error('unexpected list')),
  } as JobCalls & { calls: string[] };
}

function creator(batch: JobCalls): JobCreator {
  return new JobCreator({
    batch,
    gate: { beforeRequest: () => Promise.resolve(), onTransientError: () => Promise.resolve() },
    retry: { baseMs: 1, maxMs: 1, deadlineMs: 1000 },
    createConcurrency: 1,
    logger: createLogger('silent', 'create-job-test'),
  });
}

describe('JobCreator', () => {
  it('creates the Job when the name is free', async () => {
    const jobs = fakeJobs([() => attemptJob(1)], []);
    expect(await creator(jobs).create('ns', attemptJob(1))).toEqual({ adopted: false });
    expect(jobs.calls).toEqual(['create']);
  });

  it("adopts a Job that already exists with this attempt's identity (an earlier try created it)", async () => {
    const jobs = fakeJobs([() => { throw conflict(); }], [() => attemptJob(1)]);
    expect(await creator(jobs).create('ns', attemptJob(1))).toEqual({ adopted: true });
    expect(jobs.calls).toEqual(['create', 'read']);
  });

  it('refuses a Job of the same name with another identity, naming both', async () => {
    const jobs = fakeJobs([() => { throw conflict(); }], [() => attemptJob(2)]);
    await expect(creator(jobs).create('ns', attemptJob(1))).rejects.toThrow(/already exists but belongs to .*attempt 2, not to .*attempt 1/);
  });

  it('creates again when the conflicting Job is gone by the time it is read', async () => {
    const jobs = fakeJobs([() => { throw conflict(); }, () => attemptJob(1)], [() => { throw notFound(); }]);
    expect(await creator(jobs).create('ns', attemptJob(1))).toEqual({ adopted: false });
    expect(jobs.calls).toEqual(['create', 'read', 'create']);
  });

  it('sends nothing once the attempt has moved on', async () => {
    const jobs = fakeJobs([], []);
    await expect(creator(jobs).create('ns', attemptJob(1), () => Promise.resolve(false))).rejects.toThrow(/moved on/);
    expect(jobs.calls).toEqual([]);
  });
});
