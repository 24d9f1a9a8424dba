import { setTimeout as sleep } from 'node:timers/promises';
import { classifyApiError, KubeApiError } from './api-error.ts';

export interface ApiRetryPolicy {
  /** First backoff step; doubles per try. */
  baseMs: number;
  /** Cap of one backoff step. */
  maxMs: number;
  /** Give up once this much time has passed since the first try. */
  deadlineMs: number;
}

export interface ApiRetryHooks {
  /** Runs before every try, outside the classification (rate limits; whatever it throws propagates). */
  beforeTry?(): Promise<void>;
  /** Errors of the caller's own, thrown by `call` before any request: passed on as they are, never retried. */
  passThrough?(thrown: unknown): boolean;
  /** Called with each transient error and the delay before the next try. */
  onRetry?(error: KubeApiError, delayMs: number): void | Promise<void>;
  signal?: AbortSignal;
  now?(): number;
  random?(): number;
}

/** Exponential backoff with full jitter: spreads retries of many clients over the whole window. */
export function backoffDelayMs(policy: ApiRetryPolicy, failures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(failures - 1, 30));
  return Math.floor(random() * ceiling);
}

/**
 * Calls `call` until it succeeds, retrying transient API errors (honouring `Retry-After`) until
 * the deadline; permanent errors and conflicts are thrown at once, classified.
 */
export async function retryTransient<T>(
  operation: string,
  call: () => Promise<T>,
  policy: ApiRetryPolicy,
  hooks: ApiRetryHooks = {},
): Promise<T> {
  const now = hooks.now ?? Date.now;
  const started = now();
  for (let failures = 1; ; failures += 1) {
    await hooks.beforeTry?.();
    let error: KubeApiError;
    try {
      return await call();
    } catch (thrown) {
      if (hooks.passThrough?.(thrown)) throw thrown;
      error = classifyApiError(thrown, operation);
    }
    if (error.code !== 'transient') throw error;
    const delayMs = Math.max(error.retryAfterMs ?? 0, backoffDelayMs(policy, failures, hooks.random));
    const elapsed = now() - started;
    if (elapsed + delayMs > policy.deadlineMs) {
      throw new KubeApiError(
        'transient',
        `${error.message}; gave up after ${failures} tries in ${Math.round(elapsed / 1000)}s`,
        {
          status: error.status,
          reason: error.reason,
          cause: error,
        },
      );
    }
    await hooks.onRetry?.(error, delayMs);
    await sleep(delayMs, undefined, { signal: hooks.signal });
  }
}
