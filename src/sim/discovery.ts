import { RESOURCE_TYPES, apiVersionOf } from './resources.ts';

/** Discovery documents, enough for kubectl to find the served resources. */
export function discoveryDocument(pathname: string): unknown {
  const groups = [...new Set(RESOURCE_TYPES.filter((type) => type.group !== '').map((type) => type.group))];
  switch (pathname) {
    case '/version':
      return {
        major: '1',
        minor: '33',
        gitVersion: 'v1.33.0-kubedispatch-sim',
        platform: `${process.platform}/${process.arch}`,
      };
    case '/api':
      return {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }],
      };
    case '/apis':
      return {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: groups.map((name) => ({
          name,
          versions: [{ groupVersion: `${name}/v1`, version: 'v1' }],
          preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' },
        })),
      };
    case '/openapi/v3':
      return {
        paths: Object.fromEntries(
          [...new Set(RESOURCE_TYPES.map(apiVersionOf))].map((groupVersion) => {
            const path = groupVersion.includes('/') ? `apis/${groupVersion}` : `api/${groupVersion}`;
            return [path, { serverRelativeURL: `/openapi/v3/${path}` }];
          }),
        ),
      };
    default: {
      const openapi = /^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(pathname);
      if (openapi) return openApiDocument(openapi[1] ?? `${openapi[2]}/${openapi[3]}`);
      const match = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(pathname);
      if (!match) return undefined;
      const groupVersion = match[1] ?? `${match[2]}/${match[3]}`;
      const served = RESOURCE_TYPES.filter((type) => apiVersionOf(type) === groupVersion);
      if (served.length === 0) return undefined;
      return {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion,
        resources: served.map((type) => ({
          name: type.resource,
          singularName: type.kind.toLowerCase(),
          namespaced: type.namespaced,
          kind: type.kind,
          verbs: type.verbs,
          shortNames: type.shortNames,
        })),
      };
    }
  }
}

/**
 * A skeleton OpenAPI v3 document: no schemas, only the create and patch operations that tell kubectl
 * the server validates fields itself (the `fieldValidation` parameter), so `kubectl create -f` sends
 * its manifests instead of validating them against a schema it would otherwise download.
 */
function openApiDocument(groupVersion: string): unknown {
  const served = RESOURCE_TYPES.filter((type) => apiVersionOf(type) === groupVersion);
  if (served.length === 0) return undefined;
  const fieldValidation = { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } };
  const paths: Record<string, unknown> = {};
  for (const type of served) {
    const prefix = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
    const collection = type.namespaced
      ? `${prefix}/namespaces/{namespace}/${type.resource}`
      : `${prefix}/${type.resource}`;
    const gvk = { group: type.group, version: type.version, kind: type.kind };
    const operation = (action: string) => ({
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
      parameters: [fieldValidation],
      responses: {},
    });
    paths[collection] = { post: operation('post') };
    paths[`${collection}/{name}`] = { patch: operation('patch') };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes (kubedispatch simulation)', version: 'v1.33.0' },
    paths,
    components: { schemas: {} },
  };
}
