import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_CONFIG, type RetryConfig } from '../../src/project/model.ts';
import { effectiveRetries, mergedRetryConfig, retryDelaySeconds } from '../../src/project/retry-config.ts';

/** Mage's loop (mage_ai/shared/retry.py) run for real: calls a failing function, counting calls, without sleeping. */
function magesLoop(config: RetryConfig): number {
  const maxAttempts = config.retries + 1;
  let attempt = 1;
  let total = 0;
  let current = config.delay;
  let calls = 0;
  while (attempt <= maxAttempts) {
    calls++;
    attempt++;
    if (attempt > maxAttempts || total + current >= config.maxDelay) break;
    total += current;
    if (config.exponentialBackoff) current *= 2;
  }
  return calls - 1;
}

const config = (overrides: Partial<RetryConfig>): RetryConfig => ({ ...DEFAULT_RETRY_CONFIG, ...overrides });

describe("Mage's retry_config", () => {
  it.each([
    { name: 'defaults: no retries', config: config({}), retries: 0 },
    { name: 'retries 2 within the defaults (5 + 10 < 60)', config: config({ retries: 2 }), retries: 2 },
    {
      name: 'retries 5 with the defaults: max_delay stops after 3 (5+10+20 = 35, 35+40 ≥ 60)',
      config: config({ retries: 5 }),
      retries: 3,
    },
    {
      name: 'fixed delay 5, max_delay 60: 11 retries (55 + 5 ≥ 60)',
      config: config({ retries: 20, exponentialBackoff: false }),
      retries: 11,
    },
    { name: 'max_delay 0: never retries', config: config({ retries: 4, delay: 0, maxDelay: 0 }), retries: 0 },
    { name: 'delay 0, max_delay 1: every retry', config: config({ retries: 4, delay: 0, maxDelay: 1 }), retries: 4 },
    { name: 'first delay reaching max_delay: none', config: config({ retries: 3, delay: 60 }), retries: 0 },
    {
      name: 'delay 1, fixed, max_delay 3: 2 (1+1, then 2+1 ≥ 3)',
      config: config({ retries: 10, delay: 1, exponentialBackoff: false, maxDelay: 3 }),
      retries: 2,
    },
  ])('$name', ({ config, retries }) => {
    expect(effectiveRetries(config)).toBe(retries);
    expect(effectiveRetries(config)).toBe(magesLoop(config));
  });

  it("agrees with Mage's loop over a grid of configs", () => {
    for (const retries of [0, 1, 2, 3, 5, 8])
      for (const delay of [0, 1, 2, 5, 7])
        for (const maxDelay of [0, 1, 5, 10, 60])
          for (const exponentialBackoff of [true, false]) {
            const c = { retries, delay, maxDelay, exponentialBackoff };
            expect(effectiveRetries(c), JSON.stringify(c)).toBe(magesLoop(c));
          }
  });

  it('waits delay, then doubles it per retry with exponential_backoff', () => {
    expect([1, 2, 3].map((n) => retryDelaySeconds({ delay: 5, exponentialBackoff: true }, n))).toEqual([5, 10, 20]);
    expect([1, 2, 3].map((n) => retryDelaySeconds({ delay: 5, exponentialBackoff: false }, n))).toEqual([5, 5, 5]);
  });

  it("merges the project's retry_config under the block's, key by key, over Mage's defaults", () => {
    expect(mergedRetryConfig({}, {})).toEqual(DEFAULT_RETRY_CONFIG);
    expect(mergedRetryConfig({ retries: 2, delay: 1 }, {})).toEqual({
      retries: 2,
      delay: 1,
      maxDelay: 60,
      exponentialBackoff: true,
    });
    expect(
      mergedRetryConfig({ retries: 2, delay: 1, exponentialBackoff: false }, { retries: 0, maxDelay: 10 }),
    ).toEqual({ retries: 0, delay: 1, maxDelay: 10, exponentialBackoff: false });
  });
});
