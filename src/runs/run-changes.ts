import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import { toError } from '../errors/to-error.ts';

/** What a listener is told instead of a run id when messages may have been missed: any run may have changed. */
export const ANY_RUN = 'any';
export type RunChange = number | typeof ANY_RUN;
export type RunChangeListener = (change: RunChange) => void;

/**
 * The run change feed of a process (of its HTTP server): the Lua scripts publish the id of every run they change on
 * the changes channel, and this one subscriber connection hands each id to every listener.
 * Pub/sub loses what is published while the connection is down, so after each reconnect the
 * connection subscribes again and then tells every listener `ANY_RUN`: watchers read again
 * rather than show a state that stopped changing.
 */
export class RunChanges {
  readonly #subscriber: Redis;
  readonly #channel: string;
  readonly #logger: Logger;
  readonly #listeners = new Set<RunChangeListener>();
  #subscribed = false;

  private constructor(subscriber: Redis, channel: string, logger: Logger) {
    this.#subscriber = subscriber;
    this.#channel = channel;
    this.#logger = logger;
  }

  /**
   * Subscribes `subscriber` (a connection of its own: subscriber mode allows no other commands)
   * to `channel` (`runKeys(prefix).changesChannel`). The connection is the feed's from then on:
   * `close` closes it.
   */
  static async open(subscriber: Redis, channel: string, logger: Logger): Promise<RunChanges> {
    const changes = new RunChanges(subscriber, channel, logger);
    await changes.#start();
    return changes;
  }

  async #start(): Promise<void> {
    this.#subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.#channel) return;
      const runId = Number(message);
      if (Number.isSafeInteger(runId) && runId > 0) this.#tell(runId);
    });
    // ioredis's own resubscription happens after it reports 'ready', with nothing to say when it
    // is done; subscribing here instead tells listeners only once messages flow again.
    this.#subscriber.on('ready', () => {
      if (this.#subscribed) void this.#resubscribe();
    });
    await this.#subscriber.subscribe(this.#channel);
    this.#subscribed = true;
  }

  async #resubscribe(): Promise<void> {
    try {
      await this.#subscriber.subscribe(this.#channel);
      this.#tell(ANY_RUN);
    } catch (thrown) {
      // The next 'ready' tries again.
      this.#logger.warn({ err: toError(thrown).message }, 'subscribing to run changes again failed');
    }
  }

  #tell(change: RunChange): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch (thrown) {
        this.#logger.error({ err: toError(thrown).message }, 'a run change listener failed');
      }
    }
  }

  /** Calls `listener` with the id of every run that changes (or `ANY_RUN`); the returned function stops it. */
  onRunChange(listener: RunChangeListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  close(): void {
    this.#subscribed = false;
    this.#listeners.clear();
    // Nothing on a subscriber connection is worth a polite QUIT: it ends at once, Redis up or down.
    this.#subscriber.disconnect();
  }
}
