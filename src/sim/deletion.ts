import type { Clock } from './clock.ts';
import { formatTime } from './clock.ts';
import type { KubeObject } from './objects.ts';
import { JOBS, PODS, type ResourceType } from './resources.ts';
import type { Store } from './store.ts';
import { badRequest } from './status.ts';

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export interface DeleteOptions {
  propagationPolicy?: PropagationPolicy;
  gracePeriodSeconds?: number;
}

export interface DeleteOutcome {
  /** The object as it is now: its last state when removed, else with its deletion pending. */
  object: KubeObject;
  removed: boolean;
}

const GC_FINALIZERS: Record<PropagationPolicy, string | undefined> = {
  Orphan: 'orphan',
  Foreground: 'foregroundDeletion',
  Background: undefined,
};

/**
 * batch/v1 keeps its historical default of orphaning a Job's pods when no policy is given
 * (the API server warns about it); every other type defaults to background deletion.
 */
export function defaultPropagationPolicy(type: ResourceType): PropagationPolicy {
  return type === JOBS ? 'Orphan' : 'Background';
}

export function parsePropagationPolicy(value: unknown): PropagationPolicy | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (value === 'Orphan' || value === 'Background' || value === 'Foreground') return value;
  throw badRequest(
    `propagationPolicy: Unsupported value: "${String(value)}": supported values: "Foreground", "Background", "Orphan"`,
  );
}

/** A pod on no node, or already finished, has nothing to stop: it goes at once, as on a real cluster. */
function podGracePeriod(pod: KubeObject, requested: number | undefined): number {
  const spec = pod.spec as { nodeName?: string; terminationGracePeriodSeconds?: number };
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  return requested ?? spec.terminationGracePeriodSeconds ?? 30;
}

/** Carries out a delete request as the API server's registry does, leaving finalizers to their controllers. */
export function requestDeletion(
  store: Store,
  clock: Clock,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  options: DeleteOptions = {},
): DeleteOutcome {
  const current = store.mustGet(type, namespace, name);
  const policy = options.propagationPolicy ?? defaultPropagationPolicy(type);
  const gcFinalizer = GC_FINALIZERS[policy];
  const grace = type === PODS ? podGracePeriod(current, options.gracePeriodSeconds) : 0;
  const pendingFinalizers = current.metadata.finalizers ?? [];
  if (!gcFinalizer && grace === 0 && pendingFinalizers.length === 0) {
    return { object: store.remove(type, namespace, name), removed: true };
  }
  const after = store.mutate(type, namespace, name, (draft) => {
    const meta = draft.metadata;
    const alreadyDeleting = meta.deletionTimestamp !== undefined;
    if (!alreadyDeleting) meta.deletionTimestamp = formatTime(clock.now());
    if (type === PODS) {
      const shortened = Math.min(grace, meta.deletionGracePeriodSeconds ?? grace);
      if (alreadyDeleting && shortened === meta.deletionGracePeriodSeconds) return false;
      meta.deletionGracePeriodSeconds = shortened;
    } else if (alreadyDeleting) {
      return false;
    }
    if (gcFinalizer && !alreadyDeleting && !meta.finalizers?.includes(gcFinalizer)) {
      meta.finalizers = [...(meta.finalizers ?? []), gcFinalizer];
    }
    return true;
  });
  const removed = store.get(type, namespace, name)?.metadata.uid !== current.metadata.uid;
  return { object: after, removed };
}
