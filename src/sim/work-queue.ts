import { toError } from '../errors/to-error.ts';

const SLICE_MS = 5;

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

  /** Works in slices so that a burst of keys never holds up requests and watch streams for long. */
  #drain(): void {
    this.#scheduled = false;
    const deadline = performance.now() + SLICE_MS;
    for (const key of this.#pending) {
      if (this.#stopped) return;
      this.#pending.delete(key);
      try {
        this.#work(key);
      } catch (thrown) {
        this.#onError(toError(thrown), key);
      }
      if (performance.now() > deadline) break;
    }
    if (this.#pending.size > 0 && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#drain());
    }
  }
}
