import { DEFAULT_RETRY_CONFIG } from './model.ts';
import type { RetryConfig } from './model.ts';

/**
 * Mage's retry rules (mage_ai/shared/retry.py and BlockExecutor.execute), the one home of them in
 * kubedispatch: which retry_config applies to a block, how many retries its loop really makes,
 * and how long it waits before each.
 */

/** The project's `retry_config` with the block's over it, key by key (Mage's shallow merge_dict), then Mage's defaults. */
export function mergedRetryConfig(project: Partial<RetryConfig>, block: Partial<RetryConfig>): RetryConfig {
  return { ...DEFAULT_RETRY_CONFIG, ...project, ...block };
}

/** Seconds Mage's loop sleeps before retry `retry` (1-based): `delay`, doubled per retry with `exponential_backoff`. */
export function retryDelaySeconds(config: Pick<RetryConfig, 'delay' | 'exponentialBackoff'>, retry: number): number {
  return config.exponentialBackoff ? config.delay * 2 ** Math.max(0, retry - 1) : config.delay;
}

/**
 * How many retries Mage's loop makes at most: it stops at `retries`, and also as soon as the
 * delays slept so far plus the next one would reach `max_delay` (with the defaults 5+10+20 = 35,
 * then 35+40 ≥ 60: 3 retries, whatever `retries` says beyond that; with `max_delay: 0`, none).
 */
export function effectiveRetries(config: RetryConfig): number {
  let total = 0;
  let made = 0;
  while (made < config.retries) {
    const next = retryDelaySeconds(config, made + 1);
    if (total + next >= config.maxDelay) break;
    total += next;
    made++;
  }
  return made;
}
