import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../../src/watch/work-queue.ts';
import { eventually } from './support/eventually.ts';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('WorkQueue', () => {
  it('runs a key once per burst, and once more when it changed while running', async () => {
    const runs: string[] = [];
    const first = gate();
    const queue = new WorkQueue(
      async (key) => {
        runs.push(key);
        if (runs.length === 1) await first.opened;
      },
      () => undefined,
      { concurrency: 1, retryDelayMs: 1 },
    );
    queue.add('a');
    queue.add('a');
    queue.add('b');
    queue.add('b');
    queue.add('a');
    first.open();
    await queue.idle();
    expect(runs).toEqual(['a', 'b', 'a']);
    await queue.stop();
  });

  it('retries a key whose handler failed, reporting the error', async () => {
    const errors: string[] = [];
    let calls = 0;
    const queue = new WorkQueue(
      async () => {
        calls += 1;
        if (calls === 1) throw 'not an Error';
      },
      (key, error) => errors.push(`${key}: ${error.message}`),
      { concurrency: 1, retryDelayMs: 5 },
    );
    queue.add('k');
    await eventually('the retry', () => (calls === 2 ? true : undefined));
    expect(errors).toEqual(['k: not an Error']);
    await queue.stop();
  });

  it('runs a scheduled key at its time, keeping the earliest schedule', async () => {
    const runs: string[] = [];
    const queue = new WorkQueue(
      async (key) => void runs.push(key),
      () => undefined,
      { concurrency: 1, retryDelayMs: 1 },
    );
    const now = Date.now();
    queue.addAt('later', now + 60_000, now);
    queue.addAt('later', now + 10, now);
    queue.addAt('later', now + 30_000, now);
    await eventually('the scheduled run', () => (runs.length === 1 ? true : undefined));
    expect(runs).toEqual(['later']);
    queue.addAt('forgotten', now + 10, now);
    queue.forget('forgotten');
    await queue.stop();
    expect(runs).toEqual(['later']);
  });
});
