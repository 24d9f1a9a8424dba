import { findResourceType, NAMESPACES, type ResourceType } from './resources.ts';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** What a Kubernetes API request addresses, derived from its method and path like the API server's RequestInfo. */
export interface RequestInfo {
  verb: Verb;
  group: string;
  version: string;
  /** The resource segment of the path, even when the simulation does not serve it. */
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

const METHOD_VERBS: Record<string, { item: Verb; collection: Verb }> = {
  GET: { item: 'get', collection: 'list' },
  POST: { item: 'create', collection: 'create' },
  PUT: { item: 'update', collection: 'update' },
  PATCH: { item: 'patch', collection: 'patch' },
  DELETE: { item: 'delete', collection: 'deletecollection' },
};

/** Parses `/api/v1/...` and `/apis/{group}/{version}/...` paths; undefined for anything else. */
export function parseRequestInfo(method: string, pathname: string, query: URLSearchParams): RequestInfo | undefined {
  const parts = pathname.split('/').filter((part) => part.length > 0);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    rest = parts.slice(1);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1] as string;
    rest = parts.slice(2);
  } else {
    return undefined;
  }
  const version = rest[0] as string;
  let path = rest.slice(1);
  let namespace: string | undefined;
  // `/namespaces/{ns}` alone addresses the Namespace object; anything below it is namespaced.
  if (path[0] === 'namespaces' && path.length >= 3) {
    namespace = path[1];
    path = path.slice(2);
  }
  const [resource, name, subresource] = path as [string, string | undefined, string | undefined];
  const verbs = METHOD_VERBS[method];
  if (!verbs || !resource) return undefined;
  let verb = name === undefined ? verbs.collection : verbs.item;
  if (verb === 'list' && (query.get('watch') === 'true' || query.get('watch') === '1')) verb = 'watch';
  const info: RequestInfo = { verb, group, version, resource };
  if (namespace !== undefined) info.namespace = namespace;
  if (name !== undefined) info.name = name;
  if (subresource !== undefined) info.subresource = subresource;
  return info;
}

export function resourceTypeOf(info: RequestInfo): ResourceType | undefined {
  const type = findResourceType(info.group, info.version, info.resource);
  // Namespaces are cluster-scoped: `/api/v1/namespaces/{name}` names one, it is not a namespace prefix.
  if (type === NAMESPACES && info.namespace !== undefined) return undefined;
  return type;
}
