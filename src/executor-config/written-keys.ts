import { childPath, isPlainObject, itemPath } from '../input/input-shape.ts';
import { keyMatchForm } from './key-case.ts';
import type { ExecutorConfig } from './types.ts';

/**
 * Problems found after merging name a setting by its normalised path (`pod.serviceAccountName`,
 * `container.resources.limits.cpu`); users should see the key they wrote (`service_account_name`,
 * `resource_limits.cpu`). Each parsed config remembers the mapping it was read from, so the path can
 * be found again in it, including Mage's alternative spellings that parse-config.ts folds together.
 */
const writtenFrom = new WeakMap<ExecutorConfig, unknown>();

export function rememberWritten(config: ExecutorConfig, raw: unknown): void {
  writtenFrom.set(config, raw);
}

/**
 * Normalised paths that one setting may be written at, in the order folding lets them win: the
 * top-level resources over `container_config` over `container`, the top-level service account over
 * the pod's, `namespace` beside `metadata.namespace`.
 */
function spellings(path: string): string[] {
  const resources = /^container\.resources\.(limits|requests)\.(.+)$/.exec(path);
  if (resources)
    return [
      `resource${resources[1] === 'limits' ? 'Limits' : 'Requests'}.${resources[2]}`,
      `containerConfig.${path.slice('container.'.length)}`,
      path,
    ];
  if (path.startsWith('container.')) return [`containerConfig.${path.slice('container.'.length)}`, path];
  if (path === 'pod.serviceAccountName') return ['serviceAccountName', path];
  if (path === 'namespace') return [path, 'metadata.namespace'];
  return [path];
}

/** The key path as written in the config's own file (relative to the config), or undefined when unknown. */
export function writtenKeyPath(config: ExecutorConfig, path: string): string | undefined {
  if (!writtenFrom.has(config)) return undefined;
  const raw = writtenFrom.get(config);
  for (const candidate of spellings(path)) {
    const found = find(raw, candidate, '');
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Follows a normalised path (`a.b`, data keys may contain dots, named-list items as `[NAME]`) through
 * a raw YAML value: keys match exactly (data keys) or in any case and underscore form (schema keys).
 */
function find(raw: unknown, rest: string, written: string): string | undefined {
  if (rest === '') return written;
  if (Array.isArray(raw)) {
    const item = /^\[([^\]]*)\](?:\.|(?=\[)|$)/.exec(rest);
    if (!item) return undefined;
    const index = raw.findIndex((entry) => (isPlainObject(entry) ? entry['name'] : entry) === item[1]);
    return index < 0 ? undefined : find(raw[index], rest.slice(item[0].length), itemPath(written, index));
  }
  if (!isPlainObject(raw)) return undefined;
  const keys = Object.keys(raw);
  // Data keys first and longest first, so `nvidia.com/gpu` is one key rather than `nvidia` then `com/gpu`.
  const exact = keys.filter((key) => startsWithKey(rest, key)).sort((a, b) => b.length - a.length);
  const segment = /^[^.[]+/.exec(rest)?.[0] ?? '';
  const byForm = keys.filter((key) => keyMatchForm(key) === keyMatchForm(segment));
  for (const key of [...exact, ...byForm]) {
    const after = rest.slice(exact.includes(key) ? key.length : segment.length).replace(/^\./, '');
    const found = find(raw[key], after, childPath(written, key));
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Whether `path` starts with the whole key `key`: followed by nothing, a `.` or an item's `[`. */
function startsWithKey(path: string, key: string): boolean {
  return path === key || path.startsWith(`${key}.`) || path.startsWith(`${key}[`);
}
