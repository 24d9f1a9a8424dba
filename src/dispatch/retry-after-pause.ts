import type { Redis } from 'ioredis';
import { defineScript } from './redis-script.ts';

/**
 * A pause of Job creation shared by every dispatcher: when the API answers 429 with
 * `Retry-After`, whoever saw it extends the pause and all dispatchers hold off until it ends.
 */
export class RetryAfterPause {
  private readonly redis: Redis;
  private readonly key: string;
  private readonly extendScript: (...args: (string | number)[]) => Promise<unknown>;

  constructor(redis: Redis, key: string) {
    this.redis = redis;
    this.key = key;
    this.extendScript = defineScript(redis, 'retry-after-pause', 1);
  }

  /** Pauses for at least `ms` from now (the longer of this and any pause already set). */
  async extend(ms: number): Promise<number> {
    return Number(await this.extendScript(this.key, Math.max(1, Math.ceil(ms))));
  }

  /** Milliseconds the pause still lasts (0 when there is none). */
  async remainingMs(): Promise<number> {
    const ttl = await this.redis.pttl(this.key);
    return Math.max(ttl, 0);
  }
}
