/** What the history needs of a change: the version it made. */
interface VersionedEvent {
  resourceVersion: number;
}

/**
 * The last `capacity` changes of one resource type, like etcd's compaction window: watches from a
 * version inside it are replayed, older ones are answered with 410 Gone.
 */
export class EventHistory<Event extends VersionedEvent> {
  readonly #capacity: number;
  readonly #entries: Event[] = [];
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

  append(event: Event): void {
    if (this.#entries.length < this.#capacity) {
      this.#entries.push(event);
      return;
    }
    this.#floor = (this.#entries[this.#head] as Event).resourceVersion;
    this.#entries[this.#head] = event;
    this.#head = (this.#head + 1) % this.#capacity;
  }

  /** The changes after `version`, oldest first; undefined when the window no longer reaches back that far. */
  since(version: number): Event[] | undefined {
    if (version < this.#floor) return undefined;
    const count = this.#entries.length;
    // Logical position i (0 = oldest) lives at (head + i) mod count once the ring has wrapped.
    const at = (index: number): Event => this.#entries[(this.#head + index) % count] as Event;
    let low = 0;
    let high = count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (at(middle).resourceVersion <= version) low = middle + 1;
      else high = middle;
    }
    const found: Event[] = [];
    for (let index = low; index < count; index++) found.push(at(index));
    return found;
  }
}
