import type { KubeObject } from './objects.ts';
import { EVENTS, JOBS, PODS, type ResourceType } from './resources.ts';

/** What `kubectl get` asks for: `Accept: application/json;as=Table;v=v1;g=meta.k8s.io,...`. */
export function wantsTable(accept: string | undefined): boolean {
  return accept?.split(',')[0]?.includes('as=Table') ?? false;
}

interface Column {
  name: string;
  type: string;
  format?: string;
  priority: number;
  cell: (object: KubeObject, now: number) => string | number;
}

/** Ages as the API server's printers write them: 45s, 3m12s, 17m, 5h3m, 6d. */
function age(sinceIso: string | undefined, now: number): string {
  if (!sinceIso) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now - Date.parse(sinceIso)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return `${hours}h${minutes % 60}m`;
  return hours < 48 ? `${hours}h` : `${Math.floor(hours / 24)}d`;
}

interface ContainerState {
  waiting?: { reason?: string };
  running?: unknown;
  terminated?: { reason?: string };
}

function podStatusCell(pod: KubeObject): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  const status = (pod['status'] ?? {}) as { phase?: string; containerStatuses?: Array<{ state?: ContainerState }> };
  for (const container of status.containerStatuses ?? []) {
    const reason = container.state?.terminated?.reason ?? container.state?.waiting?.reason;
    if (reason) return reason;
  }
  return status.phase ?? 'Pending';
}

function podReadyCell(pod: KubeObject): string {
  const statuses =
    (pod['status'] as { containerStatuses?: Array<{ ready?: boolean }> } | undefined)?.containerStatuses ?? [];
  const total = ((pod['spec'] as { containers?: unknown[] }).containers ?? []).length;
  return `${statuses.filter((item) => item.ready).length}/${total}`;
}

function jobStatusCell(job: KubeObject): string {
  if (job.metadata.deletionTimestamp) return 'Terminating';
  const conditions = (
    (job['status'] as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []
  ).filter((item) => item.status === 'True');
  const types = conditions.map((item) => item.type);
  if (types.includes('Complete')) return 'Complete';
  if (types.includes('Failed')) return 'Failed';
  if (types.includes('FailureTarget')) return 'FailureTarget';
  if (types.includes('SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

function jobDuration(job: KubeObject, now: number): string {
  const status = (job['status'] ?? {}) as { startTime?: string; completionTime?: string };
  if (!status.startTime) return '';
  return age(status.startTime, status.completionTime ? Date.parse(status.completionTime) : now);
}

interface EventFields {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  involvedObject?: { kind?: string; name?: string; fieldPath?: string };
  source?: { component?: string; host?: string };
}

const eventFields = (event: KubeObject): EventFields => event as unknown as EventFields;

/** `pod/hello-x7k2`, as the API server's event printer names the object. */
function eventObjectCell(event: KubeObject): string {
  const { kind = '', name } = eventFields(event).involvedObject ?? {};
  return name ? `${kind.toLowerCase()}/${name}` : kind.toLowerCase();
}

function eventSourceCell(event: KubeObject): string {
  const { component = '', host } = eventFields(event).source ?? {};
  return host ? `${component}, ${host}` : component;
}

function jobContainers(job: KubeObject): Array<{ name?: string; image?: string }> {
  return (
    (job['spec'] as { template?: { spec?: { containers?: Array<{ name?: string; image?: string }> } } }).template?.spec
      ?.containers ?? []
  );
}

/** The Job's selector as `key=value,…` sorted by key, as the API server formats a match-labels selector. */
function jobSelectorCell(job: KubeObject): string {
  const matchLabels =
    (job['spec'] as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels ?? {};
  const pairs = Object.entries(matchLabels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return pairs.length ? pairs.map(([key, value]) => `${key}=${value}`).join(',') : '<none>';
}

const NAME: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  priority: 0,
  cell: (object) => object.metadata.name,
};
const AGE: Column = {
  name: 'Age',
  type: 'string',
  priority: 0,
  cell: (object, now) => age(object.metadata.creationTimestamp, now),
};

const COLUMNS = new Map<ResourceType, Column[]>([
  [
    PODS,
    [
      NAME,
      { name: 'Ready', type: 'string', priority: 0, cell: podReadyCell },
      { name: 'Status', type: 'string', priority: 0, cell: podStatusCell },
      { name: 'Restarts', type: 'string', priority: 0, cell: () => '0' },
      AGE,
      {
        name: 'IP',
        type: 'string',
        priority: 1,
        cell: (pod) => (pod['status'] as { podIP?: string } | undefined)?.podIP ?? '<none>',
      },
      {
        name: 'Node',
        type: 'string',
        priority: 1,
        cell: (pod) => (pod['spec'] as { nodeName?: string }).nodeName ?? '<none>',
      },
      { name: 'Nominated Node', type: 'string', priority: 1, cell: () => '<none>' },
      { name: 'Readiness Gates', type: 'string', priority: 1, cell: () => '<none>' },
    ],
  ],
  [
    EVENTS,
    [
      {
        name: 'Last Seen',
        type: 'string',
        priority: 0,
        cell: (event, now) => age(eventFields(event).lastTimestamp ?? eventFields(event).firstTimestamp, now),
      },
      { name: 'Type', type: 'string', priority: 0, cell: (event) => eventFields(event).type ?? '' },
      { name: 'Reason', type: 'string', priority: 0, cell: (event) => eventFields(event).reason ?? '' },
      { name: 'Object', type: 'string', priority: 0, cell: eventObjectCell },
      {
        name: 'Subobject',
        type: 'string',
        priority: 1,
        cell: (event) => eventFields(event).involvedObject?.fieldPath ?? '',
      },
      { name: 'Source', type: 'string', priority: 1, cell: eventSourceCell },
      { name: 'Message', type: 'string', priority: 0, cell: (event) => (eventFields(event).message ?? '').trim() },
      {
        name: 'First Seen',
        type: 'string',
        priority: 1,
        cell: (event, now) => age(eventFields(event).firstTimestamp, now),
      },
      { name: 'Count', type: 'string', priority: 1, cell: (event) => eventFields(event).count ?? 1 },
      { ...NAME, format: '', priority: 1 },
    ],
  ],
  [
    JOBS,
    [
      NAME,
      { name: 'Status', type: 'string', priority: 0, cell: jobStatusCell },
      {
        name: 'Completions',
        type: 'string',
        priority: 0,
        cell: (job) =>
          `${(job['status'] as { succeeded?: number }).succeeded ?? 0}/${(job['spec'] as { completions?: number }).completions ?? 1}`,
      },
      { name: 'Duration', type: 'string', priority: 0, cell: jobDuration },
      AGE,
      {
        name: 'Containers',
        type: 'string',
        priority: 1,
        cell: (job) =>
          jobContainers(job)
            .map((container) => container.name)
            .join(','),
      },
      {
        name: 'Images',
        type: 'string',
        priority: 1,
        cell: (job) =>
          jobContainers(job)
            .map((container) => container.image)
            .join(','),
      },
      { name: 'Selector', type: 'string', priority: 1, cell: jobSelectorCell },
    ],
  ],
]);

/** A meta.k8s.io/v1 Table of `objects`, rows carrying each object's metadata as kubectl expects. */
export function toTable(
  type: ResourceType,
  objects: KubeObject[],
  resourceVersion: string,
  now: number,
): Record<string, unknown> {
  const columns = COLUMNS.get(type) ?? [NAME, AGE];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.map(({ name, type: columnType, format, priority }) => ({
      name,
      type: columnType,
      format: format ?? '',
      description: '',
      priority,
    })),
    rows: objects.map((object) => ({
      cells: columns.map((column) => column.cell(object, now)),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata },
    })),
  };
}
