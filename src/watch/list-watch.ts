import { setTimeout as delay } from 'node:timers/promises';
import { toError } from '../errors/to-error.ts';
import type { ClusterAccess, WatchHandle } from './cluster-access.ts';
import type { ResourceKind } from './object-cache.ts';
import { rawNumber, rawPath, rawString } from './raw-fields.ts';

/** Why a watch was started again (the `watch restarts` metric's label). */
export type RestartCause = 'idle' | 'gone' | 'closed' | 'error';

export interface ListWatchHandlers {
  /** An object was listed, added or modified (possibly one already seen: reconnects replay). */
  upsert(raw: unknown): void;
  removed(raw: unknown): void;
  /** A full list finished; objects not among `seen` (namespace/name keys) are gone. */
  relisted(seen: ReadonlySet<string>): void;
  restarted(cause: RestartCause): void;
  /** Something failed but the loop goes on (API errors, a handler that threw). */
  error(error: Error, context: string): void;
}

export interface ListWatchOptions {
  kind: ResourceKind;
  /** Undefined: every namespace (cluster-wide list and watch). */
  namespace: string | undefined;
  retryBaseMs: number;
  retryMaxMs: number;
}

function objectKey(raw: unknown): string | undefined {
  const name = rawString(rawPath(raw, 'metadata', 'name'));
  const namespace = rawString(rawPath(raw, 'metadata', 'namespace'));
  return name && namespace ? `${namespace}/${name}` : undefined;
}

function resourceVersionOf(raw: unknown): string | undefined {
  return rawString(rawPath(raw, 'metadata', 'resourceVersion'));
}

function statusCode(error: Error | undefined): number | undefined {
  return (
    rawNumber((error as { statusCode?: unknown } | undefined)?.statusCode) ??
    rawNumber((error as { status?: unknown } | undefined)?.status)
  );
}

/**
 * List, then watch from the list's resourceVersion, forever: resume from the last version seen
 * (bookmarks included) when a watch ends or goes idle, relist when the version is too old (410,
 * also when it arrives mid-stream as an ERROR event), back off on errors. Never throws; a
 * handler that fails on one object is reported and the stream goes on.
 */
export class ListWatch {
  readonly #cluster: ClusterAccess;
  readonly #handlers: ListWatchHandlers;
  readonly #options: ListWatchOptions;
  readonly #stop = new AbortController();
  #handle: WatchHandle | undefined;
  #resourceVersion = '';
  #synced = false;
  #loop: Promise<void> | undefined;

  constructor(cluster: ClusterAccess, handlers: ListWatchHandlers, options: ListWatchOptions) {
    this.#cluster = cluster;
    this.#handlers = handlers;
    this.#options = options;
  }

  /** True once the first full list has been applied. */
  get synced(): boolean {
    return this.#synced;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    this.#handle?.abort();
    await this.#loop;
  }

  get #where(): string {
    return `${this.#options.kind} in ${this.#options.namespace ?? 'all namespaces'}`;
  }

  async #run(): Promise<void> {
    let needList = true;
    let failures = 0;
    while (!this.#stop.signal.aborted) {
      if (needList) {
        try {
          await this.#relist();
          needList = false;
          failures = 0;
        } catch (thrown) {
          this.#handlers.error(toError(thrown), `list ${this.#where}`);
          await this.#backoff(++failures);
          continue;
        }
      }
      const { cause, error, events } = await this.#watchOnce();
      if (this.#stop.signal.aborted) break;
      this.#handlers.restarted(cause);
      if (cause === 'gone') needList = true;
      if (cause === 'error') this.#handlers.error(error ?? new Error('watch failed'), `watch ${this.#where}`);
      // A stream that ends at once, again and again, must not become a busy loop.
      failures = cause === 'error' || (cause === 'closed' && events === 0) ? failures + 1 : 0;
      if (failures > 0) await this.#backoff(failures);
    }
  }

  async #backoff(failures: number): Promise<void> {
    const ceiling = Math.min(this.#options.retryMaxMs, this.#options.retryBaseMs * 2 ** Math.min(failures - 1, 20));
    try {
      await delay(ceiling / 2 + Math.random() * (ceiling / 2), undefined, { signal: this.#stop.signal });
    } catch {
      // stopped while waiting
    }
  }

  async #relist(): Promise<void> {
    const seen = new Set<string>();
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.#cluster.list(this.#options.kind, this.#options.namespace, continueToken);
      for (const item of page.items) {
        const key = objectKey(item);
        if (key) seen.add(key);
        this.#deliver('upsert', item);
      }
      continueToken = page.continueToken;
      resourceVersion = page.resourceVersion;
    } while (continueToken && !this.#stop.signal.aborted);
    this.#handlers.relisted(seen);
    this.#resourceVersion = resourceVersion;
    this.#synced = true;
  }

  #deliver(what: 'upsert' | 'removed', raw: unknown): void {
    try {
      this.#handlers[what](raw);
    } catch (thrown) {
      this.#handlers.error(toError(thrown), `${what} ${this.#options.kind} ${objectKey(raw) ?? '(unnamed)'}`);
    }
  }

  #watchOnce(): Promise<{ cause: RestartCause; error: Error | undefined; events: number }> {
    // Stopped while listing: the abort event has fired already and would never end this watch.
    if (this.#stop.signal.aborted) return Promise.resolve({ cause: 'closed', error: undefined, events: 0 });
    return new Promise((resolve) => {
      let events = 0;
      let verdict: { cause: RestartCause; error: Error | undefined } | undefined;
      const finish = (cause: RestartCause, error: Error | undefined): void => {
        verdict ??= { cause, error };
        this.#handle?.abort();
      };
      const onEvent = (type: string, object: unknown): void => {
        if (verdict) return;
        events += 1;
        if (type === 'ERROR') {
          const code = rawNumber(rawPath(object, 'code'));
          const message = rawString(rawPath(object, 'message')) ?? 'watch ERROR event';
          finish(code === 410 ? 'gone' : 'error', new Error(`${message} (code ${code ?? 'unknown'})`));
          return;
        }
        if (type === 'ADDED' || type === 'MODIFIED') this.#deliver('upsert', object);
        else if (type === 'DELETED') this.#deliver('removed', object);
        this.#resourceVersion = resourceVersionOf(object) ?? this.#resourceVersion;
      };
      const onStop = (): void => finish('closed', undefined);
      let ended = false;
      const done = (error: Error | undefined): void => {
        if (ended) return;
        ended = true;
        this.#handle = undefined;
        this.#stop.signal.removeEventListener('abort', onStop);
        if (verdict) return resolve({ ...verdict, events });
        if (!error) return resolve({ cause: 'closed', error, events });
        if (error.name === 'TimeoutError') return resolve({ cause: 'idle', error, events });
        resolve({ cause: statusCode(error) === 410 ? 'gone' : 'error', error, events });
      };
      this.#stop.signal.addEventListener('abort', onStop, { once: true });
      this.#cluster.watch(this.#options.kind, this.#options.namespace, this.#resourceVersion, onEvent, done).then(
        (handle) => {
          if (ended || verdict) handle.abort();
          else this.#handle = handle;
        },
        (thrown: unknown) => done(toError(thrown)),
      );
    });
  }
}
