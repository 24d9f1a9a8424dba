import { EventHistory } from './event-history.ts';
import { objectKey, type KubeObject } from './objects.ts';
import { RESOURCE_TYPES, PODS, type ResourceType } from './resources.ts';
import { alreadyExists, notFound } from './status.ts';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: ChangeType;
  object: KubeObject;
  /** The state before a MODIFIED change, so watches can tell objects entering or leaving a selector. */
  previous?: KubeObject;
  resourceVersion: number;
}

export type StoreListener = (event: StoreEvent) => void;

export interface StoreOptions {
  /** Changes retained per resource type for watches from an older version. */
  historySize: number;
  /** Where the version counter starts: versions below it are "too old", as on a long-running cluster. */
  initialResourceVersion: number;
}

interface Collection {
  byNamespace: Map<string, Map<string, KubeObject>>;
  size: number;
  history: EventHistory<StoreEvent>;
  listeners: Set<StoreListener>;
}

interface DependentRef {
  type: ResourceType;
  namespace: string;
  name: string;
}

/**
 * Objects of every simulated type under one version counter, like etcd: every change takes the next
 * resourceVersion, is kept in a bounded history and is announced to subscribers synchronously.
 * Stored objects are never mutated in place; an update stores a new object.
 */
export class Store {
  #version: number;
  readonly #collections = new Map<ResourceType, Collection>();
  /** owner uid → dependents, so garbage collection and the Job controller never scan all pods. */
  readonly #dependents = new Map<string, Map<string, DependentRef>>();

  constructor(options: StoreOptions) {
    this.#version = options.initialResourceVersion;
    for (const type of RESOURCE_TYPES) {
      this.#collections.set(type, {
        byNamespace: new Map(),
        size: 0,
        history: new EventHistory(options.historySize, options.initialResourceVersion),
        listeners: new Set(),
      });
    }
  }

  get resourceVersion(): number {
    return this.#version;
  }

  #collection(type: ResourceType): Collection {
    const collection = this.#collections.get(type);
    if (!collection) throw new Error(`no collection for ${type.resource}`);
    return collection;
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.#collection(type)
      .byNamespace.get(namespace ?? '')
      ?.get(name);
  }

  mustGet(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const object = this.get(type, namespace, name);
    if (!object) throw notFound(type, name);
    return object;
  }

  /** Objects of one namespace, or of all namespaces when `namespace` is undefined. */
  *list(type: ResourceType, namespace?: string): Generator<KubeObject> {
    const byNamespace = this.#collection(type).byNamespace;
    if (namespace !== undefined) {
      yield* byNamespace.get(namespace)?.values() ?? [];
      return;
    }
    for (const objects of byNamespace.values()) yield* objects.values();
  }

  count(type: ResourceType): number {
    return this.#collection(type).size;
  }

  history(type: ResourceType): EventHistory<StoreEvent> {
    return this.#collection(type).history;
  }

  subscribe(type: ResourceType, listener: StoreListener): () => void {
    const listeners = this.#collection(type).listeners;
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  create(type: ResourceType, object: KubeObject): KubeObject {
    const namespace = object.metadata.namespace ?? '';
    const collection = this.#collection(type);
    let objects = collection.byNamespace.get(namespace);
    if (objects?.has(object.metadata.name)) throw alreadyExists(type, object.metadata.name);
    if (!objects) {
      objects = new Map();
      collection.byNamespace.set(namespace, objects);
    }
    const stored = this.#stamp(object);
    objects.set(stored.metadata.name, stored);
    collection.size++;
    this.#indexOwners(type, undefined, stored);
    this.#emit(type, { type: 'ADDED', object: stored, resourceVersion: this.#version });
    return stored;
  }

  /**
   * Applies `change` to a copy of the stored object and of its metadata; `change` returns false when
   * nothing changed. Deeper fields are shared with earlier versions (the watch history holds them),
   * so `change` replaces them rather than editing them in place.
   * An object whose deletion was requested disappears once its finalizers are gone (and, for a pod,
   * once the kubelet confirmed with a zero grace period).
   */
  mutate(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    change: (draft: KubeObject) => boolean | void,
  ): KubeObject {
    const current = this.mustGet(type, namespace, name);
    const draft: KubeObject = { ...current, metadata: { ...current.metadata } };
    if (change(draft) === false) return current;
    if (deletionComplete(type, draft)) {
      this.remove(type, namespace, name);
      return draft;
    }
    const stored = this.#stamp(draft);
    this.#collection(type)
      .byNamespace.get(namespace ?? '')
      ?.set(name, stored);
    this.#indexOwners(type, current, stored);
    this.#emit(type, { type: 'MODIFIED', object: stored, previous: current, resourceVersion: this.#version });
    return stored;
  }

  remove(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const collection = this.#collection(type);
    const current = this.mustGet(type, namespace, name);
    const objects = collection.byNamespace.get(namespace ?? '') as Map<string, KubeObject>;
    objects.delete(name);
    if (objects.size === 0) collection.byNamespace.delete(namespace ?? '');
    collection.size--;
    this.#indexOwners(type, current, undefined);
    const last = this.#stamp({ ...current, metadata: { ...current.metadata } });
    this.#emit(type, { type: 'DELETED', object: last, resourceVersion: this.#version });
    return last;
  }

  dependents(ownerUid: string): Array<{ type: ResourceType; object: KubeObject }> {
    const found: Array<{ type: ResourceType; object: KubeObject }> = [];
    for (const ref of this.#dependents.get(ownerUid)?.values() ?? []) {
      const object = this.get(ref.type, ref.namespace, ref.name);
      if (object) found.push({ type: ref.type, object });
    }
    return found;
  }

  #stamp(object: KubeObject): KubeObject {
    this.#version++;
    object.metadata.resourceVersion = String(this.#version);
    return object;
  }

  #indexOwners(type: ResourceType, before: KubeObject | undefined, after: KubeObject | undefined): void {
    const object = (after ?? before) as KubeObject;
    const key = `${type.resource}|${objectKey(object.metadata.namespace, object.metadata.name)}`;
    const ownersAfter = new Set(after?.metadata.ownerReferences?.map((reference) => reference.uid));
    for (const reference of before?.metadata.ownerReferences ?? []) {
      if (ownersAfter.has(reference.uid)) continue;
      const dependents = this.#dependents.get(reference.uid);
      dependents?.delete(key);
      if (dependents?.size === 0) this.#dependents.delete(reference.uid);
    }
    for (const uid of ownersAfter) {
      let dependents = this.#dependents.get(uid);
      if (!dependents) {
        dependents = new Map();
        this.#dependents.set(uid, dependents);
      }
      dependents.set(key, { type, namespace: object.metadata.namespace ?? '', name: object.metadata.name });
    }
  }

  #emit(type: ResourceType, event: StoreEvent): void {
    const collection = this.#collection(type);
    collection.history.append(event);
    for (const listener of collection.listeners) listener(event);
  }
}

function deletionComplete(type: ResourceType, object: KubeObject): boolean {
  const { deletionTimestamp, finalizers, deletionGracePeriodSeconds } = object.metadata;
  if (!deletionTimestamp || (finalizers?.length ?? 0) > 0) return false;
  return type !== PODS || deletionGracePeriodSeconds === 0;
}
