import { formatTime, type Clock } from './clock.ts';
import { newUid } from './names.ts';
import type { KubeObject } from './objects.ts';
import { EVENTS } from './resources.ts';
import { badRequest } from './status.ts';
import type { Store } from './store.ts';

/**
 * An Event a client creates (POST), e.g. the watcher reporting an orphaned Job: stored as sent,
 * with the server's metadata (uid, creation time) and the request's namespace.
 */
export function admitEvent(body: unknown, namespace: string, nowMs: number): KubeObject {
  const object = (body ?? {}) as Partial<KubeObject>;
  const name = object.metadata?.name;
  if (typeof name !== 'string' || name === '') throw badRequest('Event: metadata.name is required');
  if (object.metadata?.namespace && object.metadata.namespace !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  return {
    ...object,
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      ...object.metadata,
      name,
      namespace,
      uid: newUid(),
      resourceVersion: '',
      creationTimestamp: formatTime(nowMs),
    },
  } as KubeObject;
}

export interface EventSource {
  component: string;
  host?: string;
}

export interface EventRecord {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/**
 * Writes core/v1 Events about objects, folding repeats into one Event with a growing `count` as
 * client-go's recorder does, and expiring them after `ttlMs` like the API server's event TTL.
 */
export class EventRecorder {
  readonly #store: Store;
  readonly #clock: Clock;
  /** involved uid + source + reason + message → name of the Event that counts the repeats. */
  readonly #aggregates = new Map<string, { namespace: string; name: string; createdMs: number }>();
  readonly #ttlMs: number;
  /** Keeps names unique when two Events are recorded within the same nanosecond reading. */
  #sequence = 0;

  constructor(store: Store, clock: Clock, ttlMs: number) {
    this.#store = store;
    this.#clock = clock;
    this.#ttlMs = ttlMs;
  }

  record(involved: KubeObject, source: EventSource, event: EventRecord): void {
    const namespace = involved.metadata.namespace ?? 'default';
    const now = this.#clock.now();
    const key = `${involved.metadata.uid}|${source.component}|${event.reason}|${event.message}`;
    const aggregate = this.#aggregates.get(key);
    if (aggregate && this.#store.get(EVENTS, aggregate.namespace, aggregate.name)) {
      this.#store.mutate(EVENTS, aggregate.namespace, aggregate.name, (draft) => {
        draft['count'] = ((draft['count'] as number) ?? 1) + 1;
        draft['lastTimestamp'] = formatTime(now);
      });
      return;
    }
    // Like client-go: the involved object's name and a hexadecimal timestamp in nanoseconds.
    const name = `${involved.metadata.name}.${(process.hrtime.bigint() + BigInt(this.#sequence++)).toString(16)}`;
    this.#store.create(EVENTS, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace, uid: newUid(), resourceVersion: '', creationTimestamp: formatTime(now) },
      involvedObject: {
        kind: involved.kind,
        namespace,
        name: involved.metadata.name,
        uid: involved.metadata.uid,
        apiVersion: involved.apiVersion,
        resourceVersion: involved.metadata.resourceVersion,
      },
      reason: event.reason,
      message: event.message,
      source,
      firstTimestamp: formatTime(now),
      lastTimestamp: formatTime(now),
      count: 1,
      type: event.type,
      eventTime: null,
      reportingComponent: source.component,
      reportingInstance: source.host ?? '',
    });
    this.#aggregates.set(key, { namespace, name, createdMs: now });
  }

  /** Removes Events older than the TTL; called periodically. */
  expire(): void {
    const cutoff = this.#clock.now() - this.#ttlMs;
    for (const [key, aggregate] of this.#aggregates) {
      // Insertion order is creation order, so the first young one ends the sweep.
      if (aggregate.createdMs > cutoff) break;
      this.#aggregates.delete(key);
      if (this.#store.get(EVENTS, aggregate.namespace, aggregate.name))
        this.#store.remove(EVENTS, aggregate.namespace, aggregate.name);
    }
  }
}
