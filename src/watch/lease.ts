import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { toError } from '../errors/to-error.ts';

// Extends the lease only while we still hold it (compare-and-set).
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
// Gives the lease up only if it is still ours.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/** How often a standby tries to take the lease (one SET NX each time). */
const STANDBY_POLL_MS = 500;

export interface LeaseOptions {
  key: string;
  ttlMs: number;
  /** Called on every change of who acts: true when acquired, false when lost or released. */
  onChange(held: boolean): void;
  onError(error: Error): void;
  now?: () => number;
}

/**
 * A Redis lease that makes one watcher the actor: SET NX PX to take it (standbys retry often),
 * a compare-and-set PEXPIRE to renew it every third of its TTL, a compare-and-delete to release it. `held` turns
 * false the moment a renewal finds someone else holding it, or when the TTL would have run out
 * without a successful renewal (Redis unreachable), so a cut-off watcher stops acting before a
 * standby can take over.
 */
export class Lease {
  readonly #redis: Redis;
  readonly #options: LeaseOptions;
  readonly #token = randomUUID();
  readonly #now: () => number;
  #validUntil = 0;
  #held = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #tick: Promise<void> = Promise.resolve();

  constructor(redis: Redis, options: LeaseOptions) {
    this.#redis = redis;
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get held(): boolean {
    if (this.#held && this.#now() >= this.#validUntil) this.#set(false);
    return this.#held;
  }

  start(): void {
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#tick;
    this.#set(false);
    // Released even when we never saw the reply that acquired it: compare-and-delete is safe.
    try {
      await this.#redis.eval(RELEASE, 1, this.#options.key, this.#token);
    } catch (thrown) {
      this.#options.onError(toError(thrown));
    }
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#tick = this.#attempt().finally(() => this.#schedule(this.#nextAttemptMs()));
    }, ms);
  }

  /** The holder renews every third of the TTL; a standby asks more often, so a release is taken up at once. */
  #nextAttemptMs(): number {
    const renewal = Math.max(1, Math.floor(this.#options.ttlMs / 3));
    return this.#held ? renewal : Math.min(renewal, STANDBY_POLL_MS);
  }

  async #attempt(): Promise<void> {
    const started = this.#now();
    try {
      const { key, ttlMs } = this.#options;
      const ok = this.#held
        ? (await this.#redis.eval(RENEW, 1, key, this.#token, ttlMs)) === 1
        : (await this.#redis.set(key, this.#token, 'PX', ttlMs, 'NX')) === 'OK';
      if (this.#stopped) return;
      // Count validity from before the request: Redis may have set the expiry any time after.
      if (ok) this.#validUntil = started + ttlMs;
      this.#set(ok);
    } catch (thrown) {
      this.#options.onError(toError(thrown));
      void this.held;
    }
  }

  #set(held: boolean): void {
    if (held === this.#held) return;
    this.#held = held;
    this.#options.onChange(held);
  }
}
