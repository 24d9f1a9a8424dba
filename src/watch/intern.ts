/**
 * One copy of each repeated short value (namespace, phase, epoch, container name, reason): every
 * watch event parses fresh strings, and the cache holds them for 100,000 Jobs and their pods.
 * Only values of few distinct texts go through it; past the cap, values are kept as they come.
 */
const MAX_INTERNED = 10_000;
const interned = new Map<string, string>();

export function intern<T extends string | undefined>(value: T): T {
  if (value === undefined) return value;
  const known = interned.get(value);
  if (known !== undefined) return known as T;
  if (interned.size < MAX_INTERNED) interned.set(value, value);
  return value;
}
