import { isPlainObject } from '../input/input-shape.ts';
import type { ExecutorConfig } from './types.ts';

/** Lists whose items are identified by `name`: a higher layer replaces same-named items and adds new ones. */
const NAMED_LISTS: ReadonlySet<string> = new Set([
  'pod.volumes',
  'pod.imagePullSecrets',
  'container.env',
  'container.volumeMounts',
]);

export function isNamedListPath(path: string): boolean {
  return NAMED_LISTS.has(path);
}

/**
 * Merges two values of one config path, the higher layer winning: maps merge key by key at every
 * depth, named lists merge by item name, any other list (tolerations, command, args, affinity
 * terms) is replaced whole.
 */
export function mergeAt(higher: unknown, lower: unknown, path: string): unknown {
  if (higher === undefined) return lower;
  if (lower === undefined) return higher;
  if (Array.isArray(higher) && Array.isArray(lower)) return isNamedListPath(path) ? mergeByName(higher, lower) : higher;
  if (isPlainObject(higher) && isPlainObject(lower)) {
    const merged: Record<string, unknown> = { ...lower };
    for (const [key, value] of Object.entries(higher))
      merged[key] = mergeAt(value, lower[key], path ? `${path}.${key}` : key);
    return merged;
  }
  return higher;
}

/**
 * Keeps the lower layer's order (so `$(VAR)` references in env still resolve) and appends new names.
 * Every item has a name of its own within its layer: schema.ts refuses nameless and repeated ones.
 */
export function mergeByName(higher: readonly unknown[], lower: readonly unknown[]): unknown[] {
  const higherByName = new Map(higher.map((item) => [itemName(item), item]));
  const merged = lower.map((item) => higherByName.get(itemName(item)) ?? item);
  const lowerNames = new Set(lower.map(itemName));
  return [...merged, ...higher.filter((item) => !lowerNames.has(itemName(item)))];
}

function itemName(item: unknown): unknown {
  return isPlainObject(item) ? item['name'] : undefined;
}

/** Merges layers given highest priority first. */
export function mergeConfigs(layers: readonly ExecutorConfig[]): ExecutorConfig {
  return layers.reduceRight<ExecutorConfig>((lower, higher) => mergeAt(higher, lower, '') as ExecutorConfig, {});
}
