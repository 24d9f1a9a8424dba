import type { StoreEvent } from './store.ts';

/**
 * The last `capacity` changes of one resource type, like etcd's compaction window: watches from a
 * version inside it are replayed, older ones are answered with 410 Gone.
 */
export class EventHistory {
  readonly #capacity: number;
  readonly #entries: StoreEvent[] = [];
  #head = 0;
  /** Every change after this version is retained. */
  #floor: number;

  constructor(capacity: number, floor: number) {
    this.#capacity = capacity;
    this.#floor = floor;
  }

  get oldestRetained(): number {
    return this.#floor;
  }

  append(event: StoreEvent): void {
    if (this.#entries.length < this.#capacity) {
      this.#entries.push(event);
      return;
    }
    this.#floor = (this.#entries[this.#head] as StoreEvent).resourceVersion;
    this.#entries[this.#head] = event;
    this.#head = (this.#head + 1) % this.#capacity;
  }

  /** The changes after `version`, oldest first; undefined when the window no longer reaches back that far. */
  since(version: number): StoreEvent[] | undefined {
    if (version < this.#floor) return undefined;
    const ordered = this.#head === 0 ? this.#entries : [...this.#entries.slice(this.#head), ...this.#entries.slice(0, this.#head)];
    let low = 0;
    let high = ordered.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((ordered[middle] as StoreEvent).resourceVersion <= version) low = middle + 1;
      else high = middle;
    }
    return ordered.slice(low);
  }
}
