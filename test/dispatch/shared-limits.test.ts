import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiGate, CreationPausedError } from '../../src/dispatch/api-gate.ts';
import { NamespaceSlots } from '../../src/dispatch/namespace-slots.ts';
import { RetryAfterPause } from '../../src/dispatch/retry-after-pause.ts';
import { TokenBucket } from '../../src/dispatch/token-bucket.ts';
import { KubeApiError } from '../../src/k8s/api-error.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { testRedis, type TestRedis } from '../support/redis.ts';
import { waitFor } from './support/wait-for.ts';

describe('limits shared by dispatchers through Redis', () => {
  let t: TestRedis;
  const logger = createLogger('silent', 'test');

  beforeEach(() => {
    t = testRedis();
  });
  afterEach(() => t.cleanup());

  it('token bucket: two limiter instances (two dispatchers) draw from one bucket', async () => {
    const key = `${t.prefix}:dispatch:token-bucket`;
    // 1 token per 100 s: no refill worth a token during the test.
    const one = new TokenBucket(t.connect(), key, 0.01, 5);
    const two = new TokenBucket(t.connect(), key, 0.01, 5);
    const waits = [];
    for (let i = 0; i < 3; i += 1) waits.push(await one.tryTake(), await two.tryTake());
    expect(waits.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    // The sixth token is not there for either of them; the wait is the time to refill one token.
    expect(waits[5]).toBeGreaterThan(90_000);
    expect(await one.tryTake()).toBeGreaterThan(90_000);
  });

  it('token bucket: refills at the configured rate', async () => {
    // One token a second: the second take finds the bucket empty however slow this machine is
    // (unless a whole second passes between two Redis calls), and waits at most a second.
    const bucket = new TokenBucket(t.redis, `${t.prefix}:bucket`, 1, 1);
    expect(await bucket.tryTake()).toBe(0);
    const wait = await bucket.tryTake();
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(1000);
    // acquire waits for the refill instead of failing.
    await bucket.acquire();
  });

  it('Retry-After: a pause one dispatcher sets is seen by another, and never shortened', async () => {
    const key = `${t.prefix}:dispatch:retry-after`;
    const seen = new RetryAfterPause(t.connect(), key);
    const gateOfA = new ApiGate(
      new TokenBucket(t.redis, `${t.prefix}:b`, 1000, 1000),
      new RetryAfterPause(t.redis, key),
    );
    const gateOfB = new ApiGate(new TokenBucket(t.connect(), `${t.prefix}:b`, 1000, 1000), seen);
    await gateOfB.beforeRequest();

    const tooMany = new KubeApiError('transient', '429', { status: 429, retryAfterMs: 5000 });
    await expect(gateOfA.onTransientError(tooMany)).rejects.toBeInstanceOf(CreationPausedError);
    expect(await seen.remainingMs()).toBeGreaterThan(4000);
    const paused = await gateOfB.beforeRequest().catch((error: unknown) => error);
    expect(paused).toBeInstanceOf(CreationPausedError);
    expect((paused as CreationPausedError).remainingMs).toBeGreaterThan(4000);

    await seen.extend(10);
    expect(await seen.remainingMs()).toBeGreaterThan(4000);
    // Other transient errors do not pause anyone.
    await expect(
      gateOfA.onTransientError(new KubeApiError('transient', '503', { status: 503 })),
    ).resolves.toBeUndefined();
  });

  it('namespace slots: capped per namespace, idempotent per attempt, released, and stale ones expire', async () => {
    const prefix = `${t.prefix}:dispatch:namespace-slots`;
    const a = new NamespaceSlots(t.connect(), prefix, 2, logger, 300);
    const b = new NamespaceSlots(t.connect(), prefix, 2, logger, 300);
    expect(await a.acquire('ns', { blockRunId: 1, attempt: 1 })).toBe(true);
    expect(await b.acquire('ns', { blockRunId: 2, attempt: 1 })).toBe(true);
    expect(await b.acquire('ns', { blockRunId: 3, attempt: 1 })).toBe(false);
    // Another namespace has its own slots; the same attempt keeps its slot when it asks again.
    expect(await b.acquire('other', { blockRunId: 3, attempt: 1 })).toBe(true);
    expect(await b.acquire('ns', { blockRunId: 2, attempt: 1 })).toBe(true);

    await b.release({ blockRunId: 2, attempt: 1 });
    expect(await b.acquire('ns', { blockRunId: 4, attempt: 1 })).toBe(true);

    // `a` dies without releasing: its slot frees itself when the lease runs out (no refresh).
    a.forget({ blockRunId: 1, attempt: 1 });
    await waitFor('the stale slot to expire', () => b.acquire('ns', { blockRunId: 5, attempt: 1 }), 5000);
  });

  it('namespace slots: a live holder keeps its slot by refreshing it', async () => {
    const prefix = `${t.prefix}:dispatch:namespace-slots`;
    // A lease refreshed every third of 1 s: a loaded machine may delay a refresh, not by a second.
    const holder = new NamespaceSlots(t.connect(), prefix, 1, logger, 1000);
    const other = new NamespaceSlots(t.connect(), prefix, 1, logger, 1000);
    holder.start();
    try {
      expect(await holder.acquire('ns', { blockRunId: 1, attempt: 1 })).toBe(true);
      // Several leases long, polling instead of sleeping: the slot must stay taken throughout.
      const until = Date.now() + 2500;
      while (Date.now() < until) expect(await other.acquire('ns', { blockRunId: 2, attempt: 1 })).toBe(false);
    } finally {
      holder.stop();
    }
  });
});
