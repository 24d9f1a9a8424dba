import { toError } from '../errors/to-error.ts';
import type { ClusterAccess } from './cluster-access.ts';
import type { Verdict, WarningEvent } from './outcome-decision.ts';
import type { SlimJob, SlimPod } from './slim-objects.ts';

export interface Evidence {
  logTail: string[] | undefined;
  /** `Reason: message` of the Job's and its pods' Warning events, oldest first, without repeats. */
  events: string[];
}

/** Pods whose events are read for one failure; a Job retried many times keeps its latest ones. */
const MAX_PODS_FOR_EVENTS = 3;

/**
 * Reads what explains a failure while the Job and its pods still exist: the failed container's
 * last log lines and the Warning events. Best effort: what cannot be read is reported through
 * `onError` and left out, because a missing log must not hold back the outcome itself.
 */
export async function captureEvidence(
  cluster: ClusterAccess,
  job: SlimJob,
  pods: readonly SlimPod[],
  verdict: Verdict,
  logTailLines: number,
  onError: (error: Error) => void,
): Promise<Evidence> {
  const attempt = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (thrown) {
      onError(toError(thrown));
      return undefined;
    }
  };
  const { pod, container } = verdict;
  const logRead =
    pod && container ? attempt(() => cluster.podLogTail(job.namespace, pod, container, logTailLines)) : undefined;
  const latestPods = [...pods].sort((a, b) => a.createdAt - b.createdAt).slice(-MAX_PODS_FOR_EVENTS);
  const eventReads = [
    attempt(() => cluster.warningEvents(job.namespace, 'Job', job.name)),
    ...latestPods.map((candidate) => attempt(() => cluster.warningEvents(job.namespace, 'Pod', candidate.name))),
  ];
  const [logTail, eventLists] = await Promise.all([logRead, Promise.all(eventReads)]);
  return { logTail, events: formatEvents(eventLists.flatMap((list) => list ?? [])) };
}

function formatEvents(events: readonly WarningEvent[]): string[] {
  return [...new Set(events.map((event) => `${event.reason}: ${event.message}`))];
}
