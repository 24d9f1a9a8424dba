import { toError } from '../errors/to-error.ts';

/** How long one turn of the event loop may spend starting keys, so a burst never holds up I/O for long. */
const SLICE_MS = 5;

export type KeyHandler = (key: string) => void | Promise<void>;
export type ErrorSink = (error: Error, key: string) => void;

export interface WorkQueueOptions {
  /** How many keys may be in their handler at once; unlimited when not given. */
  concurrency?: number;
  /** Delay before a key whose handler failed is tried again; never retried when not given. */
  retryDelayMs?: number;
}

/**
 * Keys waiting for one idempotent reconcile, like a client-go controller's work queue. Adding a key
 * that is already waiting is a no-op, and adding one that is being processed runs it once more
 * afterwards, so a burst of events about one object becomes at most two reconciles; no key is in its
 * handler twice at once. Handlers start on a later turn of the event loop, so whoever adds a key (a
 * store announcing a change) never sees the handler change things under it. Keys can also be
 * scheduled for a later time (a grace period ends). Handler errors, thrown or rejected, go to the
 * error sink and never escape.
 */
export class WorkQueue {
  readonly #handler: KeyHandler;
  readonly #onError: ErrorSink;
  readonly #concurrency: number;
  readonly #retryDelayMs: number | undefined;
  readonly #waiting = new Set<string>();
  readonly #running = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  #idleWaiters: (() => void)[] = [];
  #scheduled = false;
  #stopped = false;

  constructor(handler: KeyHandler, onError: ErrorSink, options: WorkQueueOptions = {}) {
    this.#handler = handler;
    this.#onError = onError;
    this.#concurrency = options.concurrency ?? Infinity;
    this.#retryDelayMs = options.retryDelayMs;
  }

  add(key: string): void {
    if (this.#stopped) return;
    if (this.#running.has(key)) {
      this.#dirty.add(key);
      return;
    }
    this.#waiting.add(key);
    this.#schedule();
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
    this.#settleIdle();
    await this.idle();
  }

  #schedule(): void {
    if (this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    setImmediate(() => this.#drain());
  }

  #drain(): void {
    this.#scheduled = false;
    const deadline = performance.now() + SLICE_MS;
    while (!this.#stopped && this.#running.size < this.#concurrency && this.#waiting.size > 0) {
      if (performance.now() > deadline) {
        this.#schedule();
        return;
      }
      const key = this.#waiting.values().next().value as string;
      this.#waiting.delete(key);
      this.#start(key);
    }
    this.#settleIdle();
  }

  /** A handler that returns nothing finishes at once, so a slice can work through many keys. */
  #start(key: string): void {
    this.#running.add(key);
    let pending: ReturnType<KeyHandler> | undefined;
    try {
      pending = this.#handler(key);
    } catch (thrown) {
      this.#failed(key, thrown);
    }
    if (pending === undefined) {
      this.#finish(key);
      return;
    }
    pending.then(
      () => this.#finish(key),
      (thrown: unknown) => {
        this.#failed(key, thrown);
        this.#finish(key);
      },
    );
  }

  #failed(key: string, thrown: unknown): void {
    this.#onError(toError(thrown), key);
    if (this.#retryDelayMs !== undefined && !this.#stopped)
      this.addAt(key, Date.now() + this.#retryDelayMs, Date.now());
  }

  #finish(key: string): void {
    this.#running.delete(key);
    if (this.#dirty.delete(key)) this.add(key);
    else if (this.#waiting.size > 0) this.#schedule();
    this.#settleIdle();
  }

  #settleIdle(): void {
    if (this.size > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
