import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ObjectPredicate } from './label-selector.ts';
import type { KubeObject } from './objects.ts';
import { apiVersionOf, type ResourceType } from './resources.ts';
import { badRequest, expired } from './status.ts';
import type { Store, StoreEvent } from './store.ts';

export interface WatchRequest {
  type: ResourceType;
  namespace: string | undefined;
  matches: ObjectPredicate;
  /** Unset or "0": start with synthetic ADDED events for what exists now. */
  resourceVersion: string | undefined;
  timeoutMs: number | undefined;
  allowBookmarks: boolean;
  sendInitialEvents: boolean;
  bookmarkIntervalMs: number;
  render?: ObjectRenderer;
}

/** A watcher that cannot keep up is cut off, as the API server does when a watch's buffer fills. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** The API server sends its last bookmark a little before a watch times out. */
const BOOKMARK_BEFORE_TIMEOUT_MS = 2000;

/** How a watcher wants objects written: as they are, or converted (kubectl asks for Table rows). */
export type ObjectRenderer = (object: KubeObject) => unknown;

const asIs: ObjectRenderer = (object) => object;

/**
 * Every watcher of a change receives it in the same synchronous turn, so remembering only the last
 * object serialised lets all of them share one JSON.stringify without keeping strings alive.
 */
let lastObject: KubeObject | undefined;
let lastRenderer: ObjectRenderer | undefined;
let lastJson = '';

function objectJson(object: KubeObject, render: ObjectRenderer): string {
  if (object !== lastObject || render !== lastRenderer) {
    lastJson = JSON.stringify(render(object));
    lastObject = object;
    lastRenderer = render;
  }
  return lastJson;
}

function line(type: string, object: KubeObject, render: ObjectRenderer = asIs): string {
  return `{"type":"${type}","object":${objectJson(object, render)}}\n`;
}

/** The change as this watcher sees it: objects entering or leaving its selector appear added or deleted. */
function translate(event: StoreEvent, watch: WatchRequest): string | undefined {
  const object = event.object;
  if (watch.namespace !== undefined && object.metadata.namespace !== watch.namespace) return undefined;
  const now = watch.matches(object);
  if (event.type !== 'MODIFIED' || !event.previous) return now ? line(event.type, object, watch.render) : undefined;
  const before = watch.matches(event.previous);
  if (now) return line(before ? 'MODIFIED' : 'ADDED', object, watch.render);
  return before ? line('DELETED', object, watch.render) : undefined;
}

/** Streams a watch as the API server does: one JSON event per line over a chunked response. */
export function serveWatch(
  request: IncomingMessage,
  response: ServerResponse,
  store: Store,
  watch: WatchRequest,
): void {
  const requested = watch.resourceVersion;
  if (requested !== undefined && requested !== '' && !/^\d+$/.test(requested)) {
    throw badRequest(`resourceVersion: Invalid value: "${requested}": must be a non-negative integer`);
  }
  response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  response.flushHeaders();
  const send = (text: string): void => {
    response.write(text);
    if (response.writableLength > MAX_BUFFERED_BYTES) response.destroy();
  };
  const bookmark = (annotations?: Record<string, string>): string =>
    line('BOOKMARK', {
      kind: watch.type.kind,
      apiVersion: apiVersionOf(watch.type),
      metadata: {
        resourceVersion: String(store.resourceVersion),
        ...(annotations ? { annotations } : {}),
      } as KubeObject['metadata'],
    });

  if (requested === undefined || requested === '' || requested === '0') {
    for (const object of store.list(watch.type, watch.namespace))
      if (watch.matches(object)) send(line('ADDED', object, watch.render));
    if (watch.sendInitialEvents && watch.allowBookmarks) send(bookmark({ 'k8s.io/initial-events-end': 'true' }));
  } else {
    const history = store.history(watch.type);
    const since = history.since(Number(requested));
    if (since === undefined) {
      response.end(`{"type":"ERROR","object":${JSON.stringify(expired(requested, history.oldestRetained))}}\n`);
      return;
    }
    for (const event of since) {
      const text = translate(event, watch);
      if (text) send(text);
    }
  }

  const unsubscribe = store.subscribe(watch.type, (event) => {
    const text = translate(event, watch);
    if (text) send(text);
  });
  const timers: NodeJS.Timeout[] = [];
  if (watch.timeoutMs !== undefined) timers.push(setTimeout(() => response.end(), watch.timeoutMs));
  if (watch.allowBookmarks) {
    const interval =
      watch.timeoutMs !== undefined
        ? Math.min(watch.bookmarkIntervalMs, Math.max(watch.timeoutMs - BOOKMARK_BEFORE_TIMEOUT_MS, 1))
        : watch.bookmarkIntervalMs;
    timers.push(setInterval(() => send(bookmark()), interval));
  }
  const close = (): void => {
    unsubscribe();
    for (const timer of timers) clearTimeout(timer);
  };
  response.once('close', close);
  request.once('close', close);
}
