import type { Redis } from 'ioredis';
import type { RunStore } from './run-store.ts';
import type { AttemptKey, AttemptOutcome } from './types.ts';
import type { Logger } from '../observability/logger.ts';
import { toError } from '../errors/to-error.ts';

interface Waiting {
  key: AttemptKey;
  resolve(outcome: AttemptOutcome): void;
}

function id(key: AttemptKey): string {
  return `${key.blockRunId}:${key.attempt}`;
}

/**
 * Lets many in-flight block runs wait for the watcher's decisions over one Redis subscription.
 * Pub/sub messages are fast but can be missed (reconnects), so a periodic batched read of the
 * durable outcome keys backs them up: a decision is never lost, at worst seen one poll later.
 */
export class OutcomeWaiter {
  private readonly waiting = new Map<string, Waiting[]>();
  private readonly store: RunStore;
  private readonly subscriber: Redis;
  private readonly pollIntervalMs: number;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;

  constructor(store: RunStore, subscriber: Redis, logger: Logger, pollIntervalMs = 5000) {
    this.store = store;
    this.subscriber = subscriber;
    this.logger = logger;
    this.pollIntervalMs = pollIntervalMs;
  }

  async start(): Promise<void> {
    await this.store.epoch();
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.store.keys.outcomesChannel) return;
      // A message of another epoch (another life of Redis) announces nothing of ours.
      const announced = this.store.announcedAttempt(message);
      if (announced !== undefined && this.waiting.has(announced)) void this.check([announced]);
    });
    await this.subscriber.subscribe(this.store.keys.outcomesChannel);
    this.timer = setInterval(() => void this.check([...this.waiting.keys()]), this.pollIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.subscriber.unsubscribe(this.store.keys.outcomesChannel).catch(() => undefined);
  }

  get size(): number {
    return this.waiting.size;
  }

  /** Resolves with the outcome of `key` once the watcher has recorded it (possibly already). */
  wait(key: AttemptKey): Promise<AttemptOutcome> {
    const promise = new Promise<AttemptOutcome>((resolve) => {
      const list = this.waiting.get(id(key)) ?? [];
      list.push({ key, resolve });
      this.waiting.set(id(key), list);
    });
    // Registered first, checked second: an outcome recorded in between is caught either way.
    void this.check([id(key)]);
    return promise;
  }

  private async check(ids: string[]): Promise<void> {
    for (let start = 0; start < ids.length; start += 1000) {
      const batch = ids.slice(start, start + 1000).filter((i) => this.waiting.has(i));
      if (batch.length === 0) continue;
      const keys = batch.map((i) => this.waiting.get(i)![0]!.key);
      try {
        const outcomes = await this.store.getOutcomes(keys);
        outcomes.forEach((outcome, index) => {
          const waitingId = batch[index]!;
          if (!outcome) return;
          const list = this.waiting.get(waitingId);
          this.waiting.delete(waitingId);
          for (const entry of list ?? []) entry.resolve(outcome);
        });
      } catch (thrown) {
        this.logger.warn({ err: toError(thrown) }, 'reading outcomes failed; the next poll retries');
      }
    }
  }
}
