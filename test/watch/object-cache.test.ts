import { describe, expect, it } from 'vitest';
import { ATTEMPT_LABEL, BLOCK_RUN_ID_LABEL } from '../../src/render/identity.ts';
import { ObjectCache } from '../../src/watch/object-cache.ts';

const labels = { [BLOCK_RUN_ID_LABEL]: '7', [ATTEMPT_LABEL]: '1' };
const jobAt = (resourceVersion: string, status: object = {}) => ({
  metadata: { name: 'j', namespace: 'ns', uid: 'u', resourceVersion, labels },
  status,
});
const complete = { conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: '2026-11-28T10:00:00Z' }] };
const podAt = (resourceVersion: string, waiting?: string) => ({
  metadata: {
    name: 'p',
    namespace: 'ns',
    uid: 'pu',
    resourceVersion,
    ownerReferences: [{ kind: 'Job', name: 'j', controller: true }],
  },
  status: {
    phase: 'Pending',
    containerStatuses: [{ name: 'main', state: waiting ? { waiting: { reason: waiting } } : { running: {} } }],
  },
});

describe('ObjectCache', () => {
  it('reports a change only for a new version, and links pods to their Job', () => {
    const cache = new ObjectCache(() => 1_000);
    expect(cache.upsert('jobs', jobAt('1'))).toBe('ns/j');
    expect(cache.upsert('jobs', jobAt('1'))).toBeUndefined();
    expect(cache.upsert('pods', podAt('2'))).toBe('ns/j');
    expect(cache.upsert('pods', podAt('2'))).toBeUndefined();
    expect(cache.podsOf('ns/j').map((pod) => pod.name)).toEqual(['p']);
    expect(cache.remove('pods', podAt('3'))).toBe('ns/j');
    expect(cache.podsOf('ns/j')).toEqual([]);
    expect(cache.upsert('jobs', 'garbage')).toBeUndefined();
  });

  it('counts a fatal waiting reason from when it was first seen', () => {
    let now = 1_000;
    const cache = new ObjectCache(() => now);
    cache.upsert('pods', podAt('1', 'ErrImagePull'));
    now = 5_000;
    cache.upsert('pods', podAt('2', 'ImagePullBackOff'));
    expect(cache.podsOf('ns/j')[0]!.fatalSince).toBe(1_000);
    cache.upsert('pods', podAt('3'));
    now = 9_000;
    cache.upsert('pods', podAt('4', 'ErrImagePull'));
    expect(cache.podsOf('ns/j')[0]!.fatalSince).toBe(9_000);
  });

  it('keeps the final state of a finished Job deleted before it was settled', () => {
    const cache = new ObjectCache(() => 2_000);
    cache.upsert('jobs', jobAt('1'));
    // The DELETED event is the first to show the Job finished (TTL 0).
    expect(cache.remove('jobs', jobAt('2', complete))).toBe('ns/j');
    expect(cache.isGone('ns/j')).toBe(true);
    expect(cache.job('ns/j')?.finished?.type).toBe('Complete');
    cache.settle('ns/j');
    expect(cache.job('ns/j')).toBeUndefined();

    cache.upsert('jobs', jobAt('3'));
    expect(cache.remove('jobs', jobAt('4'))).toBe('ns/j');
    expect(cache.job('ns/j')).toBeUndefined();
  });

  it('keeps objects of the same name in different namespaces apart, and lists keys per namespace', () => {
    const cache = new ObjectCache(() => 1_000);
    const inNamespace = <T extends { metadata: object }>(object: T, namespace: string, uid: string): T => ({
      ...object,
      metadata: { ...object.metadata, namespace, uid },
    });
    cache.upsert('jobs', inNamespace(jobAt('1'), 'a', 'ua'));
    cache.upsert('jobs', inNamespace(jobAt('1'), 'b', 'ub'));
    expect(cache.upsert('pods', inNamespace(podAt('2'), 'b', 'pb'))).toBe('b/j');
    expect(cache.counts()).toEqual({ jobs: 2, pods: 1 });
    expect(cache.job('a/j')?.uid).toBe('ua');
    expect(cache.podsOf('a/j')).toEqual([]);
    expect(cache.podsOf('b/j').map((pod) => pod.uid)).toEqual(['pb']);
    expect(cache.keysIn('jobs', 'b')).toEqual(['b/j']);
    expect(cache.keysIn('jobs', undefined).sort()).toEqual(['a/j', 'b/j']);
    expect([...cache.liveJobs()].map((job) => job.uid).sort()).toEqual(['ua', 'ub']);
    // A relist that no longer returns the pod drops it, and its Job is reconciled.
    expect(cache.removeKey('pods', 'b/p')).toBe('b/j');
    expect(cache.podsOf('b/j')).toEqual([]);
    expect(cache.removeKey('jobs', 'a/j')).toBe('a/j');
    expect(cache.keysIn('jobs', undefined)).toEqual(['b/j']);
    expect(cache.removeKey('jobs', 'not-a-key')).toBeUndefined();
  });
});
