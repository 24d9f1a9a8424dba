import type { Logger } from '../observability/logger.ts';
import { toError } from '../errors/to-error.ts';

type Listener<V> = (value: V) => void;

interface Watched<V> {
  listeners: Set<Listener<V>>;
  /** A read is due at the end of the current window. */
  timer: NodeJS.Timeout | undefined;
  reading: boolean;
  /** Changed while being read: read again once that read is done. */
  dirty: boolean;
}

/**
 * Shares one read of a thing among everyone watching it, however often it changes: the first
 * change of a key starts a window of `windowMs`, at whose end the key is read once and the value
 * handed to every listener of the key; changes within the window ride along. So a key costs at
 * most one read per window (plus the read's own time), whatever the number of changes or
 * listeners. A read that fails is logged and waits for the next change.
 */
export class CoalescedReads<K, V> {
  readonly #read: (key: K) => Promise<V>;
  readonly #windowMs: number;
  readonly #logger: Logger;
  readonly #watched = new Map<K, Watched<V>>();
  #reads = 0;

  constructor(read: (key: K) => Promise<V>, windowMs: number, logger: Logger) {
    this.#read = read;
    this.#windowMs = windowMs;
    this.#logger = logger;
  }

  /** Hands `listener` the value of `key` after each window in which it changed; the returned function stops it. */
  watch(key: K, listener: Listener<V>): () => void {
    const watched = this.#watched.get(key) ?? {
      listeners: new Set<Listener<V>>(),
      timer: undefined,
      reading: false,
      dirty: false,
    };
    this.#watched.set(key, watched);
    watched.listeners.add(listener);
    return () => {
      watched.listeners.delete(listener);
      if (watched.listeners.size > 0 || this.#watched.get(key) !== watched) return;
      clearTimeout(watched.timer);
      this.#watched.delete(key);
    };
  }

  /** `key` changed: read it at the end of the window, if anyone watches it. */
  changed(key: K): void {
    const watched = this.#watched.get(key);
    if (!watched || watched.timer) return;
    // One read at a time, so that an older value never overtakes a newer one.
    if (watched.reading) watched.dirty = true;
    else watched.timer = setTimeout(() => void this.#deliver(key, watched), this.#windowMs);
  }

  /** Every watched key may have changed. */
  changedAll(): void {
    for (const key of this.#watched.keys()) this.changed(key);
  }

  /** Reads made so far (for tests and metrics: the cost the window bounds). */
  get reads(): number {
    return this.#reads;
  }

  /** Stops every pending read. */
  close(): void {
    for (const watched of this.#watched.values()) clearTimeout(watched.timer);
    this.#watched.clear();
  }

  async #deliver(key: K, watched: Watched<V>): Promise<void> {
    // Changes from here on start the next window: they may come after what this read sees.
    watched.timer = undefined;
    watched.reading = true;
    this.#reads += 1;
    try {
      const value = await this.#read(key);
      for (const listener of [...watched.listeners]) listener(value);
    } catch (thrown) {
      this.#logger.warn(
        { err: toError(thrown).message },
        'reading a watched value failed; the next change reads again',
      );
    } finally {
      watched.reading = false;
      if (watched.dirty) {
        watched.dirty = false;
        this.changed(key);
      }
    }
  }
}
