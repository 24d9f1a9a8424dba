import type { ProblemList } from '../errors/config-problem.ts';
import { childPath, describeType, isPlainObject, itemPath } from '../input/input-shape.ts';
import type { PlainObject } from '../input/input-shape.ts';

/**
 * Readers for the few fields of Mage's own files that kubedispatch uses. Unlike executor configs,
 * Mage files carry many keys kubedispatch does not use, so unknown keys are ignored here.
 */
export interface FieldReader {
  file: string;
  problems: ProblemList;
}

function wrongType(reader: FieldReader, path: string, expected: string, value: unknown): undefined {
  reader.problems.error(reader.file, path, `expected ${expected}, got ${describeType(value)}`);
  return undefined;
}

export function readString(reader: FieldReader, object: PlainObject, key: string, path: string): string | undefined {
  const value = object[key];
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  return wrongType(reader, childPath(path, key), 'a string', value);
}

export function readStringList(reader: FieldReader, object: PlainObject, key: string, path: string): string[] {
  const value = object[key];
  if (value === null || value === undefined) return [];
  const listPath = childPath(path, key);
  if (!Array.isArray(value)) return wrongType(reader, listPath, 'a list of strings', value) ?? [];
  return value.flatMap((item, index) =>
    typeof item === 'string' ? [item] : (wrongType(reader, itemPath(listPath, index), 'a string', item) ?? []),
  );
}

export function readCount(
  reader: FieldReader,
  object: PlainObject,
  key: string,
  path: string,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const value = object[key];
  if (value === null || value === undefined) return undefined;
  if (Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= max) return value as number;
  return wrongType(
    reader,
    childPath(path, key),
    max === Number.MAX_SAFE_INTEGER ? 'a whole number ≥ 0' : `a whole number from 0 to ${max}`,
    value,
  );
}

export function readBoolean(reader: FieldReader, object: PlainObject, key: string, path: string): boolean | undefined {
  const value = object[key];
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'boolean') return value;
  return wrongType(reader, childPath(path, key), 'true or false', value);
}

/** A nested mapping; absent or null counts as empty. */
export function readMapping(reader: FieldReader, object: PlainObject, key: string, path: string): PlainObject {
  const value = object[key];
  if (value === null || value === undefined) return {};
  if (isPlainObject(value)) return value;
  return wrongType(reader, childPath(path, key), 'a mapping', value) ?? {};
}
