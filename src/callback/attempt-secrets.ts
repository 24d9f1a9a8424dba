import { createHmac, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RunKeys } from '../runs/keys.ts';
import type { AttemptKey } from '../runs/types.ts';

/**
 * Per-attempt callback secrets: HMAC-SHA256 of the attempt under one random key per installation,
 * kept in Redis (`P:callback:key`, created by whichever process needs it first). Deriving instead
 * of storing one secret per attempt means a dispatcher that re-renders an attempt after a crash
 * gives its Job the same URL, and the HTTP API checks a secret without a lookup per attempt.
 */
export class AttemptSecrets {
  private readonly redis: Redis;
  private readonly keys: RunKeys;
  private key: Promise<Buffer> | undefined;

  constructor(redis: Redis, keys: RunKeys) {
    this.redis = redis;
    this.keys = keys;
  }

  /** The attempt's secret: 64 hex characters, URL-safe. */
  async secretFor(attempt: AttemptKey): Promise<string> {
    return createHmac('sha256', await this.installationKey())
      .update(`${attempt.blockRunId}:${attempt.attempt}`)
      .digest('hex');
  }

  private installationKey(): Promise<Buffer> {
    this.key ??= this.loadKey();
    // A Redis hiccup must not stick: the next call tries again.
    this.key.catch(() => (this.key = undefined));
    return this.key;
  }

  private async loadKey(): Promise<Buffer> {
    await this.redis.set(this.keys.callbackKey, randomBytes(32).toString('hex'), 'NX');
    const stored = await this.redis.get(this.keys.callbackKey);
    if (!stored) throw new Error(`${this.keys.callbackKey} vanished right after it was written`);
    return Buffer.from(stored, 'hex');
  }
}
