/**
 * Safe readers for API objects whose shape we do not trust: watch events carry plain JSON, list
 * responses carry the client's model classes (timestamps as Date). One bad object must never
 * throw out of the watch loop, so every reader returns undefined instead of failing.
 */
export type Raw = Record<string, unknown>;

export function rawObject(value: unknown): Raw | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Raw) : undefined;
}

export function rawArray(value: unknown): Raw[] {
  return Array.isArray(value) ? value.map(rawObject).filter((item): item is Raw => item !== undefined) : [];
}

export function rawString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function rawNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Milliseconds since epoch from an RFC 3339 string or a Date. */
export function rawTime(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Follows a path of keys through nested objects. */
export function rawPath(value: unknown, ...keys: string[]): unknown {
  let current: unknown = value;
  for (const key of keys) {
    const object = rawObject(current);
    if (!object) return undefined;
    current = object[key];
  }
  return current;
}
