import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/observability/logger.ts';
import { CoalescedReads } from '../../src/runs/coalesced-reads.ts';

const WINDOW_MS = 250;

/** A read whose answers the test hands out one by one, as a slow Redis would. */
function controlledRead() {
  const pending: { key: string; resolve(value: string): void }[] = [];
  const read = (key: string) => new Promise<string>((resolve) => pending.push({ key, resolve }));
  return { read, pending };
}

describe('CoalescedReads', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  const logger = createLogger('silent', 'coalesced-reads-test');

  it('reads a key once per window however often it changes, for every listener of it', async () => {
    const { read, pending } = controlledRead();
    const reads = new CoalescedReads(read, WINDOW_MS, logger);
    const [first, second]: string[][] = [[], []];
    reads.watch('run', (value) => first!.push(value));
    reads.watch('run', (value) => second!.push(value));
    for (let change = 0; change < 100; change += 1) reads.changed('run');
    reads.changed('unwatched');
    await vi.advanceTimersByTimeAsync(WINDOW_MS - 1);
    expect(pending).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(pending.map((p) => p.key)).toEqual(['run']);
    pending.shift()!.resolve('v1');
    await vi.advanceTimersByTimeAsync(0);
    expect([first, second]).toEqual([['v1'], ['v1']]);
    expect(reads.reads).toBe(1);
  });

  it('never reads a key twice at once, so that an older value cannot overtake a newer one', async () => {
    const { read, pending } = controlledRead();
    const reads = new CoalescedReads(read, WINDOW_MS, logger);
    const values: string[] = [];
    reads.watch('run', (value) => values.push(value));
    reads.changed('run');
    await vi.advanceTimersByTimeAsync(WINDOW_MS);
    expect(pending).toHaveLength(1);
    // Changes during the slow read wait for it.
    reads.changed('run');
    await vi.advanceTimersByTimeAsync(10 * WINDOW_MS);
    expect(pending).toHaveLength(1);
    pending.shift()!.resolve('old');
    await vi.advanceTimersByTimeAsync(WINDOW_MS);
    expect(pending).toHaveLength(1);
    pending.shift()!.resolve('new');
    await vi.advanceTimersByTimeAsync(0);
    expect(values).toEqual(['old', 'new']);
  });

  it('stops reading a key nobody watches any more, and reads every watched key on changedAll', async () => {
    const { read, pending } = controlledRead();
    const reads = new CoalescedReads(read, WINDOW_MS, logger);
    const stop = reads.watch('a', () => undefined);
    reads.watch('b', () => undefined);
    reads.changed('a');
    stop();
    await vi.advanceTimersByTimeAsync(WINDOW_MS);
    expect(pending).toHaveLength(0);
    reads.watch('a', () => undefined);
    reads.changedAll();
    await vi.advanceTimersByTimeAsync(WINDOW_MS);
    expect(pending.map((p) => p.key).sort()).toEqual(['a', 'b']);
  });
});
