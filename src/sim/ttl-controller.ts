import type { Clock } from './clock.ts';
import { requestDeletion } from './deletion.ts';
import { isFinished, type JobCondition } from './job-conditions.ts';
import { JOBS } from './resources.ts';
import type { Store, StoreEvent } from './store.ts';
import type { ErrorSink } from '../k8s/work-queue.ts';
import { toError } from '../errors/to-error.ts';

/** Deletes finished Jobs `ttlSecondsAfterFinished` after they finished, with foreground propagation as Kubernetes does. */
export class TtlController {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #onError: ErrorSink;
  readonly #timers = new Map<string, () => void>();
  readonly #unsubscribe: () => void;

  constructor(store: Store, clock: Clock, onError: ErrorSink) {
    this.#store = store;
    this.#clock = clock;
    this.#onError = onError;
    this.#unsubscribe = store.subscribe(JOBS, (event) => this.#observe(event));
  }

  stop(): void {
    this.#unsubscribe();
    for (const cancel of this.#timers.values()) cancel();
    this.#timers.clear();
  }

  #observe(event: StoreEvent): void {
    const job = event.object;
    const uid = job.metadata.uid;
    if (event.type === 'DELETED') {
      this.#timers.get(uid)?.();
      this.#timers.delete(uid);
      return;
    }
    const ttl = (job['spec'] as { ttlSecondsAfterFinished?: number }).ttlSecondsAfterFinished;
    const conditions = (job['status'] as { conditions?: JobCondition[] } | undefined)?.conditions;
    if (ttl === undefined || this.#timers.has(uid) || job.metadata.deletionTimestamp || !isFinished(conditions)) return;
    const finished = conditions?.find((item) => item.type === 'Complete' || item.type === 'Failed');
    const due = Date.parse(finished?.lastTransitionTime ?? '') + ttl * 1000 - this.#clock.now();
    const { namespace, name } = job.metadata;
    this.#timers.set(
      uid,
      this.#clock.after(Math.max(0, due), () => {
        this.#timers.delete(uid);
        try {
          if (this.#store.get(JOBS, namespace, name)?.metadata.uid !== uid) return;
          requestDeletion(this.#store, this.#clock, JOBS, namespace, name, { propagationPolicy: 'Foreground' });
        } catch (thrown) {
          this.#onError(toError(thrown), `${namespace}/${name}`);
        }
      }),
    );
  }
}
