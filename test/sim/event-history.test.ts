import { describe, expect, it } from 'vitest';
import { EventHistory } from '../../src/sim/event-history.ts';
import type { StoreEvent } from '../../src/sim/store.ts';

function event(resourceVersion: number): StoreEvent {
  const object = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p${resourceVersion}`, uid: '', resourceVersion: String(resourceVersion), creationTimestamp: '' },
  };
  return { type: 'ADDED', object, resourceVersion };
}

const versions = (events: StoreEvent[] | undefined): number[] | undefined =>
  events?.map((item) => item.resourceVersion);

describe('watch history window', () => {
  it('replays what came after a version, across the wrap of its ring', () => {
    const history = new EventHistory<StoreEvent>(3, 0);
    for (let version = 1; version <= 5; version++) history.append(event(version));
    expect(history.oldestRetained).toBe(2);
    expect(versions(history.since(2))).toEqual([3, 4, 5]);
    expect(versions(history.since(4))).toEqual([5]);
    expect(versions(history.since(5))).toEqual([]);
  });

  it('has nothing to say about versions older than its window', () => {
    const history = new EventHistory<StoreEvent>(3, 0);
    for (let version = 1; version <= 5; version++) history.append(event(version));
    expect(history.since(1)).toBeUndefined();
  });

  it('replays everything after its starting floor before it fills', () => {
    const history = new EventHistory<StoreEvent>(10, 100);
    history.append(event(101));
    history.append(event(102));
    expect(versions(history.since(100))).toEqual([101, 102]);
    expect(history.since(99)).toBeUndefined();
  });
});
