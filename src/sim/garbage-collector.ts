import type { Clock } from './clock.ts';
import { requestDeletion } from './deletion.ts';
import type { KubeObject, OwnerReference } from './objects.ts';
import { RESOURCE_TYPES, apiVersionOf, type ResourceType } from './resources.ts';
import type { Store, StoreEvent } from './store.ts';
import { WorkQueue, type ErrorSink } from './work-queue.ts';

interface OwnerIdentity {
  type: ResourceType;
  namespace: string;
  name: string;
  uid: string;
}

function ownerType(reference: OwnerReference): ResourceType | undefined {
  return RESOURCE_TYPES.find((type) => type.kind === reference.kind && apiVersionOf(type) === reference.apiVersion);
}

/**
 * The garbage collector: deletes dependents whose owners are gone, and carries out the `orphan` and
 * `foregroundDeletion` finalizers that orphan and foreground deletions leave on an owner.
 */
export class GarbageCollector {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #queue: WorkQueue;
  readonly #owners = new Map<string, OwnerIdentity>();
  readonly #unsubscribe: Array<() => void> = [];

  constructor(store: Store, clock: Clock, onError: ErrorSink) {
    this.#store = store;
    this.#clock = clock;
    this.#queue = new WorkQueue((uid) => this.#reconcile(uid), onError);
    for (const type of RESOURCE_TYPES) {
      this.#unsubscribe.push(store.subscribe(type, (event) => this.#observe(type, event)));
    }
  }

  stop(): void {
    this.#queue.stop();
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
  }

  #enqueue(identity: OwnerIdentity): void {
    this.#owners.set(identity.uid, identity);
    this.#queue.add(identity.uid);
  }

  #observe(type: ResourceType, event: StoreEvent): void {
    const meta = event.object.metadata;
    const hasGcFinalizer =
      meta.finalizers?.some((finalizer) => finalizer === 'orphan' || finalizer === 'foregroundDeletion') ?? false;
    const ownerGone = event.type === 'DELETED' && this.#store.dependents(meta.uid).length > 0;
    if ((hasGcFinalizer && meta.deletionTimestamp !== undefined) || ownerGone) {
      this.#enqueue({ type, namespace: meta.namespace ?? '', name: meta.name, uid: meta.uid });
    }
    if (event.type !== 'DELETED') return;
    // A dependent gone may be the last one a foreground deletion waits for.
    for (const reference of meta.ownerReferences ?? []) {
      const referencedType = ownerType(reference);
      if (!referencedType) continue;
      const owner = this.#store.get(referencedType, meta.namespace, reference.name);
      if (owner?.metadata.finalizers?.includes('foregroundDeletion')) {
        this.#enqueue({
          type: referencedType,
          namespace: meta.namespace ?? '',
          name: reference.name,
          uid: reference.uid,
        });
      }
    }
  }

  #reconcile(uid: string): void {
    const identity = this.#owners.get(uid);
    this.#owners.delete(uid);
    if (!identity) return;
    const found = this.#store.get(identity.type, identity.namespace, identity.name);
    const owner = found?.metadata.uid === uid ? found : undefined;
    const dependents = this.#store.dependents(uid);
    if (!owner) {
      for (const dependent of dependents) {
        if (!this.#hasOtherLiveOwner(dependent.object, uid)) this.#delete(dependent.type, dependent.object);
      }
      return;
    }
    const finalizers = owner.metadata.finalizers ?? [];
    if (finalizers.includes('orphan')) {
      for (const dependent of dependents) {
        this.#store.mutate(
          dependent.type,
          dependent.object.metadata.namespace,
          dependent.object.metadata.name,
          (draft) => {
            draft.metadata.ownerReferences = draft.metadata.ownerReferences?.filter(
              (reference) => reference.uid !== uid,
            );
            if (draft.metadata.ownerReferences?.length === 0) delete draft.metadata.ownerReferences;
          },
        );
      }
      this.#removeFinalizer(identity, 'orphan');
    } else if (finalizers.includes('foregroundDeletion')) {
      for (const dependent of dependents) this.#delete(dependent.type, dependent.object);
      if (this.#store.dependents(uid).length === 0) this.#removeFinalizer(identity, 'foregroundDeletion');
    }
  }

  #hasOtherLiveOwner(dependent: KubeObject, goneUid: string): boolean {
    return (dependent.metadata.ownerReferences ?? []).some((reference) => {
      if (reference.uid === goneUid) return false;
      const type = ownerType(reference);
      // Owners of kinds the simulation does not serve cannot be checked; assume they live.
      if (!type) return true;
      return this.#store.get(type, dependent.metadata.namespace, reference.name)?.metadata.uid === reference.uid;
    });
  }

  #delete(type: ResourceType, object: KubeObject): void {
    if (object.metadata.deletionTimestamp) return;
    requestDeletion(this.#store, this.#clock, type, object.metadata.namespace, object.metadata.name, {
      propagationPolicy: 'Background',
    });
  }

  #removeFinalizer(identity: OwnerIdentity, finalizer: string): void {
    this.#store.mutate(identity.type, identity.namespace, identity.name, (draft) => {
      draft.metadata.finalizers = draft.metadata.finalizers?.filter((item) => item !== finalizer);
    });
  }
}
