import { childPath, isPlainObject, itemPath } from '../input/input-shape.ts';
import { writtenKeyOf } from './key-spellings.ts';
import { isNamedListPath } from './merge.ts';

/** One value a layer sets, at the granularity the merge rules decide on. */
export interface Leaf {
  /** Dotted path in the normalised (camelCase) form; named-list items as `container.env[NAME]`. */
  path: string;
  value: unknown;
  /** Where the value is written in the mapping it was normalised from (`container_config.env[2]`). */
  written: string;
}

/**
 * Flattens a config into the units that one layer can win: scalars, whole plain lists, and single
 * items of named lists. Two layers conflict exactly when they set the same leaf path differently.
 * `raw` is the mapping the value was normalised from and `written` its key path there; by default
 * the value itself, when only the normalised paths matter.
 */
export function leavesOf(value: unknown, path = '', raw: unknown = value, written = path): Leaf[] {
  if (Array.isArray(value) && isNamedListPath(path)) {
    return value.map((item) => {
      const name = isPlainObject(item) ? String(item['name']) : '?';
      // Mage's single image pull secret is written as a string, not a list; YAML may read a name as a number.
      const index = Array.isArray(raw)
        ? raw.findIndex((entry) => String(isPlainObject(entry) ? entry['name'] : entry) === name)
        : -1;
      return { path: `${path}[${name}]`, value: item, written: index < 0 ? written : itemPath(written, index) };
    });
  }
  if (isPlainObject(value)) {
    const rawObject = isPlainObject(raw) ? raw : {};
    return Object.entries(value).flatMap(([key, child]) => {
      const rawKey = writtenKeyOf(rawObject, key) ?? key;
      return leavesOf(child, path ? `${path}.${key}` : key, rawObject[rawKey], childPath(written, rawKey));
    });
  }
  return value === undefined ? [] : [{ path, value, written }];
}
