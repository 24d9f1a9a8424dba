import { isPlainObject } from '../input/input-shape.ts';
import { isNamedListPath } from './merge.ts';

/** One value a layer sets, at the granularity the merge rules decide on. */
export interface Leaf {
  /** Dotted path in the normalised (camelCase) form; named-list items as `container.env[NAME]`. */
  path: string;
  value: unknown;
}

/**
 * Flattens a config into the units that one layer can win: scalars, whole plain lists, and single
 * items of named lists. Two layers conflict exactly when they set the same leaf path differently.
 */
export function leavesOf(value: unknown, path = ''): Leaf[] {
  if (Array.isArray(value) && isNamedListPath(path)) {
    return value.map((item) => ({ path: `${path}[${isPlainObject(item) ? String(item['name']) : '?'}]`, value: item }));
  }
  if (isPlainObject(value))
    return Object.entries(value).flatMap(([key, child]) => leavesOf(child, path ? `${path}.${key}` : key));
  return value === undefined ? [] : [{ path, value }];
}
