import { toError } from '../errors/to-error.ts';

export type ErrorSink = (error: Error, key: string) => void;

/**
 * Keys waiting for one idempotent reconcile, like a controller's work queue: adding a key that is
 * already waiting does nothing, and work runs on a later turn of the event loop so that store
 * listeners never change the store while it is still announcing a change.
 */
export class WorkQueue {
  readonly #pending = new Set<string>();
  readonly #work: (key: string) => void;
  readonly #onError: ErrorSink;
  #scheduled = false;
  #stopped = false;

  constructor(work: (key: string) => void, onError: ErrorSink) {
    this.#work = work;
    this.#onError = onError;
  }

  add(key: string): void {
    if (this.#stopped) return;
    this.#pending.add(key);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#drain());
  }

  stop(): void {
    this.#stopped = true;
    this.#pending.clear();
  }

  #drain(): void {
    this.#scheduled = false;
    const keys = [...this.#pending];
    this.#pending.clear();
    for (const key of keys) {
      if (this.#stopped) return;
      try {
        this.#work(key);
      } catch (thrown) {
        this.#onError(toError(thrown), key);
      }
    }
  }
}
