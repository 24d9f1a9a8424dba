import { toError } from '../errors/to-error.ts';

export type KeyHandler = (key: string) => Promise<void>;
export type KeyErrorHandler = (key: string, error: Error) => void;

export interface WorkQueueOptions {
  concurrency: number;
  /** Delay before a key whose handler failed is tried again. */
  retryDelayMs: number;
}

/**
 * A queue of keys, each processed by one handler call at a time. Adding a key that is already
 * waiting is a no-op, and adding one that is being processed runs it once more afterwards, so a
 * burst of events about one Job becomes at most two reconciles. Keys can also be scheduled for a
 * later time (a grace period ends). Handler errors are reported and the key retried; nothing
 * thrown escapes.
 */
export class WorkQueue {
  readonly #handler: KeyHandler;
  readonly #onError: KeyErrorHandler;
  readonly #options: WorkQueueOptions;
  readonly #waiting = new Set<string>();
  readonly #running = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  #idleWaiters: (() => void)[] = [];
  #stopped = false;

  constructor(handler: KeyHandler, onError: KeyErrorHandler, options: WorkQueueOptions) {
    this.#handler = handler;
    this.#onError = onError;
    this.#options = options;
  }

  add(key: string): void {
    if (this.#stopped) return;
    if (this.#running.has(key)) {
      this.#dirty.add(key);
      return;
    }
    this.#waiting.add(key);
    this.#pump();
  }

  /** Adds the key at `at` (ms since epoch); an earlier schedule for the same key wins. */
  addAt(key: string, at: number, now: number): void {
    if (this.#stopped) return;
    const existing = this.#timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(
      () => {
        this.#timers.delete(key);
        this.add(key);
      },
      Math.max(0, at - now),
    );
    timer.unref();
    this.#timers.set(key, { at, timer });
  }

  /** Forgets a scheduled add (the key's object is gone). */
  forget(key: string): void {
    const existing = this.#timers.get(key);
    if (existing) clearTimeout(existing.timer);
    this.#timers.delete(key);
  }

  get size(): number {
    return this.#waiting.size + this.#running.size;
  }

  /** Resolves once nothing is waiting or running (scheduled keys do not count). */
  async idle(): Promise<void> {
    if (this.size === 0) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops taking keys and waits for the handlers in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#waiting.clear();
    this.#dirty.clear();
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    await this.idle();
  }

  #pump(): void {
    while (this.#running.size < this.#options.concurrency && this.#waiting.size > 0) {
      const key = this.#waiting.values().next().value as string;
      this.#waiting.delete(key);
      this.#running.add(key);
      void this.#run(key);
    }
    if (this.size === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  async #run(key: string): Promise<void> {
    try {
      await this.#handler(key);
    } catch (thrown) {
      this.#onError(key, toError(thrown));
      if (!this.#stopped) this.addAt(key, Date.now() + this.#options.retryDelayMs, Date.now());
    } finally {
      this.#running.delete(key);
      if (this.#dirty.delete(key) && !this.#stopped) this.#waiting.add(key);
      this.#pump();
    }
  }
}
