import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../../src/k8s/work-queue.ts';
import { eventually } from '../support/eventually.ts';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const ignore = (): void => undefined;

describe('WorkQueue', () => {
  it('runs a waiting key once however often it is added, and once more when added while running', async () => {
    const runs: string[] = [];
    const first = gate();
    const queue = new WorkQueue(
      async (key) => {
        runs.push(key);
        if (runs.length === 1) await first.opened;
      },
      ignore,
      { concurrency: 1 },
    );
    queue.add('a');
    queue.add('a');
    await eventually('the first run', () => (runs.length === 1 ? true : undefined));
    queue.add('b');
    queue.add('b');
    queue.add('a');
    queue.add('a');
    first.open();
    await queue.idle();
    expect(runs).toEqual(['a', 'b', 'a']);
    await queue.stop();
  });

  it('starts handlers on a later turn, never inside add', async () => {
    const runs: string[] = [];
    const queue = new WorkQueue((key) => void runs.push(key), ignore);
    queue.add('a');
    expect(runs).toEqual([]);
    await queue.idle();
    expect(runs).toEqual(['a']);
    await queue.stop();
  });

  it('keeps at most `concurrency` handlers running', async () => {
    let running = 0;
    let most = 0;
    const release = gate();
    const queue = new WorkQueue(
      async () => {
        running += 1;
        most = Math.max(most, running);
        await release.opened;
        running -= 1;
      },
      ignore,
      { concurrency: 2 },
    );
    for (const key of ['a', 'b', 'c', 'd']) queue.add(key);
    await eventually('two handlers running', () => (running === 2 ? true : undefined));
    release.open();
    await queue.idle();
    expect(most).toBe(2);
    await queue.stop();
  });

  it('reports a failed key and retries it after the retry delay', async () => {
    const errors: string[] = [];
    let calls = 0;
    const queue = new WorkQueue(
      async () => {
        calls += 1;
        if (calls === 1) throw 'not an Error';
      },
      (error, key) => errors.push(`${key}: ${error.message}`),
      { concurrency: 1, retryDelayMs: 5 },
    );
    queue.add('k');
    await eventually('the retry', () => (calls === 2 ? true : undefined));
    expect(errors).toEqual(['k: not an Error']);
    await queue.stop();
  });

  it('reports a key whose handler throws without retrying it when no retry delay is given', async () => {
    const errors: string[] = [];
    let calls = 0;
    const queue = new WorkQueue(
      (key) => {
        calls += 1;
        if (key === 'bad') throw new Error('broken');
      },
      (error, key) => errors.push(`${key}: ${error.message}`),
    );
    queue.add('bad');
    queue.add('good');
    await queue.idle();
    expect(errors).toEqual(['bad: broken']);
    expect(calls).toBe(2);
    await queue.stop();
  });

  it('runs a scheduled key at its time, keeping the earliest schedule', async () => {
    const runs: string[] = [];
    const queue = new WorkQueue(async (key) => void runs.push(key), ignore, { concurrency: 1 });
    const now = Date.now();
    queue.addAt('later', now + 60_000, now);
    queue.addAt('later', now + 10, now);
    queue.addAt('later', now + 30_000, now);
    await eventually('the scheduled run', () => (runs.length === 1 ? true : undefined));
    expect(runs).toEqual(['later']);
    queue.addAt('forgotten', now + 10, now);
    queue.forget('forgotten');
    queue.addAt('after', now + 20, now);
    await eventually('the run after the forgotten one', () => (runs.length === 2 ? true : undefined));
    expect(runs).toEqual(['later', 'after']);
    await queue.stop();
  });
});
