import { jobKey } from './slim-objects.ts';

/** Splits a `namespace/name` key (neither part can contain a slash in Kubernetes). */
export function splitKey(key: string): { namespace: string; name: string } | undefined {
  const slash = key.indexOf('/');
  return slash < 0 ? undefined : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/**
 * Values by namespace, then name: the name strings are the ones the cached objects hold already,
 * where a map keyed by `namespace/name` would keep a string of its own per entry (about 64 bytes,
 * for each of the cache's maps, at 100,000 Jobs and their pods).
 */
export class ByNamespace<V> {
  readonly #namespaces = new Map<string, Map<string, V>>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(namespace: string, name: string): V | undefined {
    return this.#namespaces.get(namespace)?.get(name);
  }

  has(namespace: string, name: string): boolean {
    return this.#namespaces.get(namespace)?.has(name) ?? false;
  }

  set(namespace: string, name: string, value: V): void {
    let names = this.#namespaces.get(namespace);
    if (!names) {
      names = new Map();
      this.#namespaces.set(namespace, names);
    }
    if (!names.has(name)) this.#size += 1;
    names.set(name, value);
  }

  delete(namespace: string, name: string): boolean {
    const names = this.#namespaces.get(namespace);
    if (!names?.delete(name)) return false;
    this.#size -= 1;
    if (names.size === 0) this.#namespaces.delete(namespace);
    return true;
  }

  *values(): IterableIterator<V> {
    for (const names of this.#namespaces.values()) yield* names.values();
  }

  /** `namespace/name` keys of the entries in `namespace` (every namespace when undefined). */
  *keys(namespace?: string): IterableIterator<string> {
    for (const [scope, names] of this.#namespaces) {
      if (namespace !== undefined && scope !== namespace) continue;
      for (const name of names.keys()) yield jobKey(scope, name);
    }
  }
}
