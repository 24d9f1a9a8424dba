import { describe, expect, it } from 'vitest';
import { RunSnapshotCache, type LoadedRun } from '../../src/dispatch/run-snapshot-cache.ts';

interface Snapshot {
  blocks: string[];
}

/** Runs whose snapshot has `size` blocks of the text `content` (same content, same snapshot text). */
function fakeRuns(runs: Record<number, { content: string; size: number }>) {
  const loads: number[] = [];
  const load = async (runId: number): Promise<LoadedRun<Snapshot, { runId: number }>> => {
    loads.push(runId);
    const run = runs[runId];
    if (!run) throw new Error(`run ${runId} is missing`);
    // A fresh parse every time, as from Redis.
    return { snapshot: { blocks: Array.from({ length: run.size }, () => run.content) }, rest: { runId } };
  };
  return { load, loads };
}

const charsOf = (snapshot: Snapshot) => JSON.stringify(snapshot).length;

describe('RunSnapshotCache', () => {
  it('keeps one parsed copy of snapshots with the same content, shared by their runs', async () => {
    const { load, loads } = fakeRuns({
      1: { content: 'a', size: 3 },
      2: { content: 'a', size: 3 },
      3: { content: 'b', size: 3 },
    });
    const cache = new RunSnapshotCache(load, { maxRuns: 10, maxSnapshotChars: 1000 });
    const [one, two, three] = await Promise.all([cache.get(1), cache.get(2), cache.get(3)]);
    expect(two.snapshot).toBe(one.snapshot);
    expect(three.snapshot).not.toBe(one.snapshot);
    expect(two.rest).toEqual({ runId: 2 });
    expect((await cache.get(2)).snapshot).toBe(one.snapshot);
    expect(loads).toEqual([1, 2, 3]);
    expect(cache.usage).toEqual({ runs: 3, snapshots: 2, snapshotChars: charsOf(one.snapshot) * 2 });
  });

  it('evicts the least recently used runs once their distinct snapshots exceed the size bound', async () => {
    const size = 10;
    const runs = { 1: { content: 'a', size }, 2: { content: 'b', size }, 3: { content: 'c', size } };
    const { load, loads } = fakeRuns(runs);
    const oneSnapshot = charsOf({ blocks: Array.from({ length: size }, () => 'a') });
    const cache = new RunSnapshotCache(load, { maxRuns: 10, maxSnapshotChars: oneSnapshot * 2 });
    await cache.get(1);
    await cache.get(2);
    await cache.get(1); // 1 is now the most recently used
    await cache.get(3);
    expect(cache.usage).toEqual({ runs: 2, snapshots: 2, snapshotChars: oneSnapshot * 2 });
    await cache.get(1);
    await cache.get(3);
    expect(loads).toEqual([1, 2, 3]);
    await cache.get(2);
    expect(loads).toEqual([1, 2, 3, 2]);
  });

  it('counts a shared snapshot once, and frees it only with the last run that holds it', async () => {
    const size = 10;
    const runs = { 1: { content: 'a', size }, 2: { content: 'a', size }, 3: { content: 'b', size } };
    const { load } = fakeRuns(runs);
    const oneSnapshot = charsOf({ blocks: Array.from({ length: size }, () => 'a') });
    const cache = new RunSnapshotCache(load, { maxRuns: 2, maxSnapshotChars: oneSnapshot * 10 });
    await cache.get(1);
    await cache.get(2);
    expect(cache.usage).toEqual({ runs: 2, snapshots: 1, snapshotChars: oneSnapshot });
    await cache.get(3); // evicts run 1 by count; its snapshot stays with run 2
    expect(cache.usage).toEqual({ runs: 2, snapshots: 2, snapshotChars: oneSnapshot * 2 });
    await cache.get(1); // evicts run 2, the last holder of 'a': run 1 loads and counts it again
    expect(cache.usage).toEqual({ runs: 2, snapshots: 2, snapshotChars: oneSnapshot * 2 });
  });

  it('keeps the run in use even when its snapshot alone exceeds the bound', async () => {
    const { load, loads } = fakeRuns({ 1: { content: 'a', size: 100 }, 2: { content: 'b', size: 100 } });
    const cache = new RunSnapshotCache(load, { maxRuns: 10, maxSnapshotChars: 10 });
    await cache.get(1);
    await cache.get(1);
    expect(loads).toEqual([1]);
    await cache.get(2);
    expect(cache.usage.runs).toBe(1);
    expect(cache.usage.snapshots).toBe(1);
  });

  it('forgets a failed load, so that the next render tries again', async () => {
    const runs: Record<number, { content: string; size: number }> = {};
    const { load, loads } = fakeRuns(runs);
    const cache = new RunSnapshotCache(load, { maxRuns: 10, maxSnapshotChars: 1000 });
    await expect(cache.get(1)).rejects.toThrow('run 1 is missing');
    runs[1] = { content: 'a', size: 1 };
    expect((await cache.get(1)).rest).toEqual({ runId: 1 });
    expect(loads).toEqual([1, 1]);
  });
});
