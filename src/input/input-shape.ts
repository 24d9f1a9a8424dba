/** Helpers for walking untyped YAML values: type tests, type names for messages, key paths. */

export type PlainObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/**
 * The YAML-facing name of a value's type, for "expected X, got Y" messages. Strings are not quoted:
 * messages reach logs and API answers, and a file's content must never travel with them.
 */
export function describeType(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a date';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number' && !Number.isFinite(value))
    return 'a number that is not finite (too large, .inf or .nan)';
  return `the ${typeof value} ${String(value)}`;
}

/** Appends a mapping key to a dotted key path, quoting keys that contain dots or spaces. */
export function childPath(path: string, key: string): string {
  const segment = /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
  return path ? `${path}.${segment}` : segment;
}

export function itemPath(path: string, index: number): string {
  return `${path}[${index}]`;
}

/**
 * Keys that would reach Object.prototype when assigned; YAML may legally contain them, so they are
 * refused by name rather than trusted to every writer below.
 */
export function isReservedKey(key: string): boolean {
  return key === '__proto__' || key === 'constructor' || key === 'prototype';
}
