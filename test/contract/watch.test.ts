import { Watch, type V1Job } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectContractCluster, type ContractCluster } from './support/contract-cluster.ts';
import { jobManifest } from './support/jobs.ts';

let cluster: ContractCluster;
let jobsPath: string;
beforeAll(async () => {
  cluster = await connectContractCluster('watch');
  jobsPath = `/apis/batch/v1/namespaces/${cluster.namespace}/jobs`;
});
afterAll(async () => {
  await cluster?.stop();
});

interface Received {
  type: string;
  object: {
    kind?: string;
    code?: number;
    reason?: string;
    metadata?: { name?: string; resourceVersion?: string; annotations?: Record<string, string> };
  };
}

/**
 * Records a watch's events until `until` says enough or the server ends the stream; resolves with
 * the events and whether the server ended it.
 */
function record(
  query: Record<string, string | number | boolean | undefined>,
  until: (events: Received[]) => boolean,
  timeoutMs = 15_000,
): Promise<{ events: Received[]; endedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const events: Received[] = [];
    let controller: AbortController | undefined;
    let done = false;
    const finish = (endedByServer: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      controller?.abort();
      resolve({ events, endedByServer });
    };
    const timer = setTimeout(() => {
      done = true;
      controller?.abort();
      reject(
        new Error(
          `watch did not reach its goal in ${timeoutMs} ms; saw ${JSON.stringify(events.map((event) => event.type))}`,
        ),
      );
    }, timeoutMs);
    new Watch(cluster.kubeConfig)
      .watch(
        jobsPath,
        query,
        (type, object) => {
          events.push({ type, object });
          if (until(events)) finish(false);
        },
        () => finish(true),
      )
      .then((started) => {
        controller = started;
        if (done) started.abort();
      }, reject);
  });
}

const namesOf = (events: Received[], type: string): string[] =>
  events.filter((event) => event.type === type).map((event) => event.object.metadata?.name as string);

describe('watch', () => {
  it('replays changes after a listed resourceVersion: ADDED then MODIFIED, only for the selected labels', async () => {
    const list = await cluster.batch.listNamespacedJob({ namespace: cluster.namespace });
    const watching = record(
      { resourceVersion: list.metadata?.resourceVersion, labelSelector: 'kubedispatch.io/set=watched' },
      (events) => events.some((event) => event.type === 'MODIFIED' && event.object.metadata?.name === 'watched'),
    );
    await cluster.batch.createNamespacedJob({
      namespace: cluster.namespace,
      body: jobManifest({ name: 'unwatched', labels: { 'kubedispatch.io/set': 'other' } }),
    });
    await cluster.batch.createNamespacedJob({
      namespace: cluster.namespace,
      body: jobManifest({ name: 'watched', labels: { 'kubedispatch.io/set': 'watched' } }),
    });
    const { events } = await watching;
    expect(namesOf(events, 'ADDED')).toEqual(['watched']);
    expect(events.every((event) => event.object.metadata?.name === 'watched')).toBe(true);
    const versions = events.map((event) => Number(event.object.metadata?.resourceVersion));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
  });

  it('starts with synthetic ADDED events for existing objects when no resourceVersion is given', async () => {
    await cluster.batch.createNamespacedJob({
      namespace: cluster.namespace,
      body: jobManifest({ name: 'existing', labels: { 'kubedispatch.io/set': 'existing' } }),
    });
    const { events } = await record({ labelSelector: 'kubedispatch.io/set=existing' }, (seen) => seen.length > 0);
    expect(events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'existing' } } });
  });

  it('sends BOOKMARK events when asked, and ends the stream at timeoutSeconds', async () => {
    const list = await cluster.batch.listNamespacedJob({ namespace: cluster.namespace });
    const { events, endedByServer } = await record(
      {
        resourceVersion: list.metadata?.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: 3,
        labelSelector: 'kubedispatch.io/set=none',
      },
      () => false,
    );
    expect(endedByServer).toBe(true);
    const bookmark = events.find((event) => event.type === 'BOOKMARK');
    expect(bookmark, 'a BOOKMARK before the timeout').toBeDefined();
    expect(bookmark?.object.kind).toBe('Job');
    expect(Number(bookmark?.object.metadata?.resourceVersion)).toBeGreaterThanOrEqual(
      Number(list.metadata?.resourceVersion),
    );
  });

  it('answers a watch from a version it no longer has with 410 Expired, else replays what came after it', async () => {
    // Whether version 1 is still retained depends on the server's history: a young real cluster has
    // not compacted it yet, the simulation starts as a cluster that has. Either answer must be exact.
    const { events } = await record(
      { resourceVersion: '1' },
      (seen) => seen.some((event) => event.type === 'ERROR') || seen.length >= 2,
    );
    const error = events.find((event) => event.type === 'ERROR');
    if (error) {
      expect(error.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
      expect(error.object).toHaveProperty('message', expect.stringMatching(/^too old resource version: 1 \(\d+\)$/));
      return;
    }
    const versions = events.map((event) => Number(event.object.metadata?.resourceVersion));
    expect(versions.every((version) => version > 1)).toBe(true);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
  });

  it('reports a deletion as DELETED with the object', async () => {
    const created: V1Job = await cluster.batch.createNamespacedJob({
      namespace: cluster.namespace,
      body: jobManifest({ name: 'to-delete', labels: { 'kubedispatch.io/set': 'deleted' } }),
    });
    const watching = record(
      { resourceVersion: created.metadata?.resourceVersion, labelSelector: 'kubedispatch.io/set=deleted' },
      (events) => events.some((event) => event.type === 'DELETED'),
    );
    await cluster.batch.deleteNamespacedJob({
      namespace: cluster.namespace,
      name: 'to-delete',
      propagationPolicy: 'Background',
    });
    const { events } = await watching;
    expect(namesOf(events, 'DELETED')).toEqual(['to-delete']);
  });
});
