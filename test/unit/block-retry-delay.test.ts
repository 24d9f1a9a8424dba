import { describe, expect, it } from 'vitest';
import { blockRetryDelayMs } from '../../src/runs/block-run-queue.ts';

describe('blockRetryDelayMs', () => {
  it.each([
    {
      name: 'fixed delay',
      retry: { retries: 3, delaySeconds: 5, exponentialBackoff: false, maxDelaySeconds: 60 },
      attempts: [1, 2, 3],
      expected: [5000, 5000, 5000],
    },
    {
      name: 'exponential, as Mage sleeps before retries 1, 2, 3',
      retry: { retries: 3, delaySeconds: 5, exponentialBackoff: true, maxDelaySeconds: 60 },
      attempts: [1, 2, 3],
      expected: [5000, 10000, 20000],
    },
    {
      name: 'no delay',
      retry: { retries: 1, delaySeconds: 0, exponentialBackoff: true, maxDelaySeconds: 1 },
      attempts: [1],
      expected: [0],
    },
  ])('$name', ({ retry, attempts, expected }) => {
    expect(attempts.map((a) => blockRetryDelayMs(retry, a))).toEqual(expected);
  });
});
