import { describe, expect, it } from 'vitest';
import { blockRetryDelayMs } from '../../src/queue/block-run-queue.ts';

describe('blockRetryDelayMs', () => {
  it.each([
    { name: 'fixed delay', retry: { retries: 3, delaySeconds: 5, exponentialBackoff: false, maxDelaySeconds: 0 }, attempts: [1, 2, 3], expected: [5000, 5000, 5000] },
    { name: 'exponential', retry: { retries: 4, delaySeconds: 5, exponentialBackoff: true, maxDelaySeconds: 0 }, attempts: [1, 2, 3, 4], expected: [5000, 10000, 20000, 40000] },
    { name: 'exponential capped by max_delay', retry: { retries: 4, delaySeconds: 5, exponentialBackoff: true, maxDelaySeconds: 12 }, attempts: [1, 2, 3], expected: [5000, 10000, 12000] },
    { name: 'no delay', retry: { retries: 1, delaySeconds: 0, exponentialBackoff: true, maxDelaySeconds: 0 }, attempts: [1], expected: [0] },
  ])('$name', ({ retry, attempts, expected }) => {
    expect(attempts.map((a) => blockRetryDelayMs(retry, a))).toEqual(expected);
  });
});
