import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { defineScript } from './redis-script.ts';

/**
 * A token bucket in Redis shared by every dispatcher: together they send at most `ratePerSecond`
 * Job-creating requests per second on average, with bursts up to `burst`.
 */
export class TokenBucket {
  private readonly take: (...args: (string | number)[]) => Promise<unknown>;
  private readonly key: string;
  private readonly ratePerSecond: number;
  private readonly burst: number;

  constructor(redis: Redis, key: string, ratePerSecond: number, burst: number) {
    this.take = defineScript(redis, 'token-bucket', 1);
    this.key = key;
    this.ratePerSecond = ratePerSecond;
    this.burst = Math.max(1, burst);
  }

  /** Takes a token if one is there; otherwise returns how long until one will be (ms). */
  async tryTake(): Promise<number> {
    if (this.ratePerSecond <= 0) return 0;
    return Number(await this.take(this.key, this.ratePerSecond, this.burst));
  }

  /** Waits until a token is taken; returns the time spent waiting (ms). */
  async acquire(signal?: AbortSignal): Promise<number> {
    const started = Date.now();
    for (let wait = await this.tryTake(); wait > 0; wait = await this.tryTake()) {
      await sleep(wait, undefined, { signal });
    }
    return Date.now() - started;
  }
}
