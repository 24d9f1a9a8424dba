import { RESOURCE_TYPES, apiVersionOf } from './resources.ts';

/** Discovery documents, enough for kubectl to find the served resources. */
export function discoveryDocument(pathname: string): unknown {
  const groups = [...new Set(RESOURCE_TYPES.filter((type) => type.group !== '').map((type) => type.group))];
  switch (pathname) {
    case '/version':
      return { major: '1', minor: '33', gitVersion: 'v1.33.0-kubedispatch-sim', platform: `${process.platform}/${process.arch}` };
    case '/api':
      return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }] };
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
    default: {
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
