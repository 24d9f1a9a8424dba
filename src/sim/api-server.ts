import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from './clock.ts';
import { defaultPropagationPolicy, parsePropagationPolicy, requestDeletion, type DeleteOptions } from './deletion.ts';
import { discoveryDocument } from './discovery.ts';
import { readBody, sendJson } from './http-json.ts';
import { admitJob } from './job-admission.ts';
import { both, parseFieldSelector, parseLabelSelector } from './label-selector.ts';
import { admitNamespace, assertNamespaceOpen, type NamespaceController } from './namespaces.ts';
import type { KubeObject } from './objects.ts';
import { podLog } from './pod-logs.ts';
import { parseRequestInfo, resourceTypeOf, type RequestInfo } from './request-info.ts';
import type { RequestCounter } from './request-stats.ts';
import { admitEvent } from './event-recorder.ts';
import { EVENTS, JOBS, NAMESPACES, PODS, apiVersionOf, type ResourceType } from './resources.ts';
import {
  ApiError,
  badRequest,
  failure,
  methodNotSupported,
  pathNotFound,
  unsupportedMediaType,
  type ApiStatus,
} from './status.ts';
import type { Store } from './store.ts';
import { toTable, wantsTable } from './table.ts';
import { serveWatch } from './watch-stream.ts';

export interface ApiServerDeps {
  store: Store;
  clock: Clock;
  namespaces: NamespaceController;
  requests: RequestCounter;
  bookmarkIntervalMs: number;
  onError: (error: Error) => void;
}

const ORPHAN_WARNING =
  '299 - "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning"';

function sendStatus(response: ServerResponse, status: ApiStatus): void {
  sendJson(response, status.code, status);
}

/**
 * Binary encodings a real API server also accepts: kubectl's typed commands (create namespace,
 * create job…) send protobuf. Refused with 415 as a server does for a type it cannot decode,
 * rather than a 400 about invalid JSON.
 */
const BINARY_MEDIA_TYPES = ['application/vnd.kubernetes.protobuf', 'application/cbor'];

async function readJson(request: IncomingMessage): Promise<unknown> {
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (BINARY_MEDIA_TYPES.includes(contentType)) {
    request.resume();
    throw unsupportedMediaType(contentType);
  }
  const text = await readBody(request);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (thrown) {
    throw badRequest(`the request body is not valid JSON: ${(thrown as Error).message}`);
  }
}

function optionalInteger(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!/^-?\d+$/.test(value)) throw badRequest(`${name}: invalid value "${value}": must be an integer`);
  return Number(value);
}

/** List items carry no kind or apiVersion on the wire; the list says them once. */
function listItem(object: KubeObject): Record<string, unknown> {
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = object;
  return rest;
}

interface ContinueToken {
  rv: number;
  start: string;
}

function sortKey(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

/** The HTTP handler of the simulated API server: routing, admission and the REST semantics of each verb. */
export function createApiHandler(deps: ApiServerDeps): (request: IncomingMessage, response: ServerResponse) => void {
  const { store, clock } = deps;

  function list(type: ResourceType, info: RequestInfo, query: URLSearchParams, accept: string | undefined): unknown {
    const matches = both(
      parseLabelSelector(query.get('labelSelector')),
      parseFieldSelector(query.get('fieldSelector')),
    );
    const limit = optionalInteger(query, 'limit');
    const continueText = query.get('continue');
    let start = '';
    let version = store.resourceVersion;
    if (continueText) {
      try {
        const token = JSON.parse(Buffer.from(continueText, 'base64url').toString('utf8')) as ContinueToken;
        start = token.start;
        version = token.rv;
      } catch {
        throw badRequest('continue key is not valid');
      }
    }
    // Sorted by key like etcd's range reads, so continue tokens can say where a page ended.
    const items = [...store.list(type, info.namespace)]
      .filter((object) => matches(object))
      .map((object) => ({ key: sortKey(object), object }))
      .filter((entry) => entry.key > start)
      .sort((a, b) => (a.key < b.key ? -1 : 1))
      .map((entry) => entry.object);
    const metadata: Record<string, unknown> = { resourceVersion: String(version) };
    let page = items;
    if (limit !== undefined && limit > 0 && items.length > limit) {
      page = items.slice(0, limit);
      const token: ContinueToken = { rv: version, start: sortKey(page[page.length - 1] as KubeObject) };
      metadata['continue'] = Buffer.from(JSON.stringify(token)).toString('base64url');
      metadata['remainingItemCount'] = items.length - limit;
    }
    if (wantsTable(accept)) return { ...toTable(type, page, String(version), clock.now()), metadata };
    return { kind: `${type.kind}List`, apiVersion: apiVersionOf(type), metadata, items: page.map(listItem) };
  }

  async function create(type: ResourceType, info: RequestInfo, request: IncomingMessage): Promise<KubeObject> {
    const body = await readJson(request);
    if (type === NAMESPACES) return store.create(NAMESPACES, admitNamespace(body, clock.now()));
    if (type === EVENTS && info.name === undefined) {
      assertNamespaceOpen(store, info.namespace as string, EVENTS, '');
      return store.create(EVENTS, admitEvent(body, info.namespace as string, clock.now()));
    }
    if (type !== JOBS || info.name !== undefined) throw methodNotSupported(type, 'create');
    const namespace = info.namespace as string;
    const bodyNamespace = (body as { metadata?: { namespace?: string } } | undefined)?.metadata?.namespace;
    if (bodyNamespace && bodyNamespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const job = admitJob(body, namespace, clock.now());
    assertNamespaceOpen(store, namespace, JOBS, job.metadata.name);
    return store.create(JOBS, job);
  }

  async function remove(
    type: ResourceType,
    info: RequestInfo,
    request: IncomingMessage,
    query: URLSearchParams,
    response: ServerResponse,
  ) {
    const name = info.name as string;
    if (type === NAMESPACES) {
      sendJson(response, 200, deps.namespaces.requestDeletion(name));
      return;
    }
    if (type !== JOBS && type !== PODS) throw methodNotSupported(type, 'delete');
    const body = ((await readJson(request)) ?? {}) as { propagationPolicy?: unknown; gracePeriodSeconds?: unknown };
    const options: DeleteOptions = {};
    const policy = parsePropagationPolicy(query.get('propagationPolicy') ?? body.propagationPolicy);
    if (policy) options.propagationPolicy = policy;
    const grace =
      optionalInteger(query, 'gracePeriodSeconds') ??
      (typeof body.gracePeriodSeconds === 'number' ? body.gracePeriodSeconds : undefined);
    if (grace !== undefined) options.gracePeriodSeconds = grace;
    const outcome = requestDeletion(store, clock, type, info.namespace, name, options);
    const headers: Record<string, string> =
      !policy && defaultPropagationPolicy(type) === 'Orphan' ? { Warning: ORPHAN_WARNING } : {};
    if (type === JOBS && outcome.removed) {
      const details = { name, group: type.group, kind: type.resource, uid: outcome.object.metadata.uid };
      sendJson(response, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details }, headers);
      return;
    }
    sendJson(response, outcome.removed ? 200 : 202, outcome.object, headers);
  }

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://sim.invalid');
    const document = request.method === 'GET' ? discoveryDocument(url.pathname) : undefined;
    if (document !== undefined) {
      sendJson(response, 200, document);
      return;
    }
    const info = parseRequestInfo(request.method ?? 'GET', url.pathname, url.searchParams);
    if (!info) throw pathNotFound();
    deps.requests.count(info.verb, info.subresource ? `${info.resource}/${info.subresource}` : info.resource);
    const type = resourceTypeOf(info);
    if (!type) throw pathNotFound();
    const query = url.searchParams;
    switch (info.verb) {
      case 'list':
        sendJson(response, 200, list(type, info, query, request.headers.accept));
        return;
      case 'watch': {
        const timeoutSeconds = optionalInteger(query, 'timeoutSeconds');
        serveWatch(request, response, store, {
          type,
          namespace: info.namespace,
          matches: both(parseLabelSelector(query.get('labelSelector')), parseFieldSelector(query.get('fieldSelector'))),
          resourceVersion: query.get('resourceVersion') ?? undefined,
          timeoutMs: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000,
          allowBookmarks: query.get('allowWatchBookmarks') === 'true',
          sendInitialEvents: query.get('sendInitialEvents') === 'true',
          bookmarkIntervalMs: deps.bookmarkIntervalMs,
          ...(wantsTable(request.headers.accept)
            ? { render: (object: KubeObject) => toTable(type, [object], object.metadata.resourceVersion, clock.now()) }
            : {}),
        });
        return;
      }
      case 'get': {
        const object = store.mustGet(type, info.namespace, info.name as string);
        if (info.subresource === 'log' && type === PODS) {
          const text = podLog(object, query.get('container'), optionalInteger(query, 'tailLines'));
          response.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
          response.end(text);
          return;
        }
        if (info.subresource !== undefined && info.subresource !== 'status') throw pathNotFound();
        sendJson(
          response,
          200,
          wantsTable(request.headers.accept)
            ? toTable(type, [object], object.metadata.resourceVersion, clock.now())
            : object,
        );
        return;
      }
      case 'create':
        sendJson(response, 201, await create(type, info, request));
        return;
      case 'delete':
        await remove(type, info, request, query, response);
        return;
      default:
        throw methodNotSupported(type, info.verb);
    }
  }

  return (request, response) => {
    serve(request, response).catch((thrown: unknown) => {
      if (thrown instanceof ApiError) {
        if (!response.headersSent) sendStatus(response, thrown.status);
        return;
      }
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      deps.onError(error);
      if (!response.headersSent)
        sendStatus(response, failure(500, 'InternalError', `Internal error occurred: ${error.message}`));
    });
  };
}
