import type { ConfigSpelling } from './types.ts';

/**
 * How keys of an executor config may be written, for reading them (shape.ts, parse-config.ts) and
 * for naming them back in messages (locate.ts). Schema keys are written in Mage's snake_case or the
 * API's camelCase and normalised to camelCase; data keys (map types of the schema: labels,
 * annotations, resource names…) are kept verbatim.
 */

/**
 * Comparing keys with underscores removed and case folded matches both spellings, including the
 * API's acronyms (`host_ipc` → `hostIPC`).
 */
export function keyMatchForm(key: string): string {
  return key.replaceAll('_', '').toLowerCase();
}

/** The snake_case spelling shown in messages, since Mage's documentation writes keys that way. */
export function snakeCase(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * The key of a written mapping that the normalised key `key` was read from: the key itself (a data
 * key, or a schema key written in camelCase), else the one key written in another form (shape.ts
 * refuses a schema key written twice, so there is at most one).
 */
export function writtenKeyOf(written: Readonly<Record<string, unknown>>, key: string): string | undefined {
  if (Object.hasOwn(written, key)) return key;
  return Object.keys(written).find((candidate) => keyMatchForm(candidate) === keyMatchForm(key));
}

/**
 * Where each top-level key of an executor config (normalised) lands in the folded config: Mage's
 * alternative places for one setting fold into the API's. Lowest precedence first, so a later entry
 * wins where both set a value: `container_config` over `container`, top-level resources over both
 * (per resource), the top-level service account over the pod's, `namespace` over
 * `metadata.namespace` (parse-config.ts refuses the two with different values).
 */
export const CONFIG_PLACES: readonly { written: string; at: string }[] = [
  { written: 'metadata.namespace', at: 'namespace' },
  { written: 'namespace', at: 'namespace' },
  { written: 'jobNamePrefix', at: 'jobNamePrefix' },
  { written: 'metadata.labels', at: 'metadata.labels' },
  { written: 'metadata.annotations', at: 'metadata.annotations' },
  { written: 'pod', at: 'pod' },
  { written: 'serviceAccountName', at: 'pod.serviceAccountName' },
  { written: 'container', at: 'container' },
  { written: 'containerConfig', at: 'container' },
  { written: 'resourceLimits', at: 'container.resources.limits' },
  { written: 'resourceRequests', at: 'container.resources.requests' },
  { written: 'job', at: 'job' },
];

/**
 * The key path, relative to its config, at which a setting is written: its normalised leaf path
 * (leaves.ts) unless the config's spelling records another.
 */
export function writtenPath(spelling: ConfigSpelling, path: string): string {
  return Object.hasOwn(spelling, path) ? spelling[path]! : path;
}
