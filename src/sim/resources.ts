/** The slice of the Kubernetes API the simulation serves. */
export interface ResourceType {
  resource: string;
  group: string;
  version: string;
  kind: string;
  namespaced: boolean;
  /** Short names kubectl offers, for discovery. */
  shortNames: string[];
  verbs: string[];
}

export const JOBS: ResourceType = {
  resource: 'jobs',
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  namespaced: true,
  shortNames: [],
  verbs: ['create', 'delete', 'get', 'list', 'watch'],
};
export const PODS: ResourceType = {
  resource: 'pods',
  group: '',
  version: 'v1',
  kind: 'Pod',
  namespaced: true,
  shortNames: ['po'],
  verbs: ['delete', 'get', 'list', 'watch'],
};
export const EVENTS: ResourceType = {
  resource: 'events',
  group: '',
  version: 'v1',
  kind: 'Event',
  namespaced: true,
  shortNames: ['ev'],
  verbs: ['create', 'get', 'list', 'watch'],
};
export const NAMESPACES: ResourceType = {
  resource: 'namespaces',
  group: '',
  version: 'v1',
  kind: 'Namespace',
  namespaced: false,
  shortNames: ['ns'],
  verbs: ['create', 'delete', 'get', 'list', 'watch'],
};

export const RESOURCE_TYPES: readonly ResourceType[] = [JOBS, PODS, EVENTS, NAMESPACES];

export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

/** `jobs.batch` or `pods`: how the API server names a resource in its messages. */
export function qualifiedResource(type: ResourceType): string {
  return type.group === '' ? type.resource : `${type.resource}.${type.group}`;
}

export function findResourceType(group: string, version: string, resource: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((type) => type.group === group && type.version === version && type.resource === resource);
}
