import { formatTime, type Clock } from './clock.ts';
import { requestDeletion } from './deletion.ts';
import { newUid } from './names.ts';
import type { KubeObject } from './objects.ts';
import { EVENTS, JOBS, NAMESPACES, PODS, type ResourceType } from './resources.ts';
import { forbidden, invalid, notFound } from './status.ts';
import type { Store, StoreEvent } from './store.ts';
import { validateDns1123Label, validateLabels } from './validation.ts';
import { WorkQueue, type ErrorSink } from './work-queue.ts';

export function newNamespace(name: string, nowMs: number, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      uid: newUid(),
      resourceVersion: '',
      creationTimestamp: formatTime(nowMs),
      labels: { ...labels, 'kubernetes.io/metadata.name': name },
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

export function admitNamespace(body: unknown, nowMs: number): KubeObject {
  const metadata = ((body as { metadata?: { name?: unknown; labels?: Record<string, string> } } | null)?.metadata ??
    {}) as {
    name?: unknown;
    labels?: Record<string, string>;
  };
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  const causes = [
    ...validateDns1123Label('metadata.name', name),
    ...validateLabels('metadata.labels', metadata.labels),
  ];
  if (causes.length > 0) throw invalid(NAMESPACES, name, causes);
  return newNamespace(name, nowMs, metadata.labels);
}

/** The NamespaceLifecycle admission check: content only goes into an existing, active namespace. */
export function assertNamespaceOpen(store: Store, namespace: string, type: ResourceType, name: string): void {
  const found = store.get(NAMESPACES, undefined, namespace);
  if (!found) throw notFound(NAMESPACES, namespace);
  if (found.metadata.deletionTimestamp) {
    throw forbidden(
      type,
      name,
      `unable to create new content in namespace ${namespace} because it is being terminated`,
    );
  }
}

const CONTENT = [JOBS, PODS, EVENTS];

/** Deleting a namespace marks it Terminating; this controller empties it and then removes it. */
export class NamespaceController {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #queue: WorkQueue;
  readonly #unsubscribe: Array<() => void>;

  constructor(store: Store, clock: Clock, onError: ErrorSink) {
    this.#store = store;
    this.#clock = clock;
    this.#queue = new WorkQueue((name) => this.#reconcile(name), onError);
    const observe = (event: StoreEvent): void => {
      const namespace = event.object.metadata.namespace;
      if (namespace && store.get(NAMESPACES, undefined, namespace)?.metadata.deletionTimestamp)
        this.#queue.add(namespace);
    };
    this.#unsubscribe = [
      store.subscribe(NAMESPACES, (event) => {
        if (event.type === 'MODIFIED' && event.object.metadata.deletionTimestamp)
          this.#queue.add(event.object.metadata.name);
      }),
      ...CONTENT.map((type) => store.subscribe(type, observe)),
    ];
  }

  stop(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#queue.stop();
  }

  /** Marks the namespace Terminating; its content goes next, the namespace last. */
  requestDeletion(name: string): KubeObject {
    this.#store.mustGet(NAMESPACES, undefined, name);
    return this.#store.mutate(NAMESPACES, undefined, name, (draft) => {
      if (draft.metadata.deletionTimestamp) return false;
      draft.metadata.deletionTimestamp = formatTime(this.#clock.now());
      draft['status'] = { phase: 'Terminating' };
      return true;
    });
  }

  #reconcile(name: string): void {
    const namespace = this.#store.get(NAMESPACES, undefined, name);
    if (!namespace?.metadata.deletionTimestamp) return;
    let remaining = 0;
    for (const type of CONTENT) {
      for (const object of [...this.#store.list(type, name)]) {
        remaining++;
        if (type === EVENTS) this.#store.remove(type, name, object.metadata.name);
        else if (!object.metadata.deletionTimestamp) {
          requestDeletion(this.#store, this.#clock, type, name, object.metadata.name, {
            propagationPolicy: 'Background',
          });
        }
      }
    }
    if (remaining === 0) this.#store.remove(NAMESPACES, undefined, name);
  }
}
