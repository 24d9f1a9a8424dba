import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import type { AttemptKey } from '../runs/types.ts';
import { toError } from '../errors/to-error.ts';
import { defineScript } from './redis-script.ts';

/** A slot is a lease its holder refreshes; a dead dispatcher's slots free themselves after this. */
const DEFAULT_LEASE_MS = 60_000;

function holderId(key: AttemptKey): string {
  return `${key.blockRunId}:${key.attempt}`;
}

/**
 * Per-namespace caps on active Jobs, shared by every dispatcher through Redis. Taking a slot is
 * idempotent per attempt, so a stalled block run picked up again keeps the slot it had.
 */
export class NamespaceSlots {
  private readonly redis: Redis;
  private readonly keyPrefix: string;
  private readonly max: number;
  private readonly leaseMs: number;
  private readonly logger: Logger;
  private readonly take: (...args: (string | number)[]) => Promise<unknown>;
  /** Slots this process holds, refreshed until released: holder → namespace. */
  private readonly held = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(redis: Redis, keyPrefix: string, max: number, logger: Logger, leaseMs = DEFAULT_LEASE_MS) {
    this.redis = redis;
    this.keyPrefix = keyPrefix;
    this.max = max;
    this.leaseMs = leaseMs;
    this.logger = logger;
    this.take = defineScript(redis, 'namespace-slot', 1);
  }

  private key(namespace: string): string {
    return `${this.keyPrefix}:${namespace}`;
  }

  /** False when the namespace is at its cap: try again later. */
  async acquire(namespace: string, attempt: AttemptKey): Promise<boolean> {
    const holder = holderId(attempt);
    const granted = Number(await this.take(this.key(namespace), holder, this.max, this.leaseMs)) === 1;
    if (granted) this.held.set(holder, namespace);
    return granted;
  }

  async release(attempt: AttemptKey): Promise<void> {
    const holder = holderId(attempt);
    const namespace = this.held.get(holder);
    this.held.delete(holder);
    if (namespace !== undefined) await this.redis.zrem(this.key(namespace), holder);
  }

  /** Stops refreshing a slot without freeing it (a dispatcher stopping hands its attempts over). */
  forget(attempt: AttemptKey): void {
    this.held.delete(holderId(attempt));
  }

  start(): void {
    // Three refreshes per lease: one lost refresh never lets a live slot expire.
    this.timer = setInterval(() => void this.refresh(), this.leaseMs / 3);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async refresh(): Promise<void> {
    try {
      // The same script as acquire: a held slot is extended (on the Redis clock, like acquire).
      await Promise.all(
        [...this.held].map(([holder, namespace]) => this.take(this.key(namespace), holder, this.max, this.leaseMs)),
      );
    } catch (thrown) {
      this.logger.warn({ err: toError(thrown) }, 'refreshing namespace slots failed; the next refresh retries');
    }
  }
}
