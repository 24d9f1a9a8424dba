import { FATAL_WAITING_REASONS } from '../k8s/waiting-reasons.ts';
import type { SlimContainer, SlimPod } from './slim-objects.ts';

/** Why one pod failed, in words a user can act on. */
export interface PodFailure {
  reason: string;
  message: string;
  exitCode: number | undefined;
  /** The container whose log explains the failure, when one ran. */
  container: string | undefined;
}

/** Normal steps of a starting pod, not reasons for anything. */
const BENIGN_WAITING_REASONS: ReadonlySet<string> = new Set(['ContainerCreating', 'PodInitializing']);

function kind(container: SlimContainer): string {
  return container.init ? 'init container' : 'container';
}

/** OOMKilled counts as a failure even with exit code 0 (kubernetes#131530). */
function failedTermination(container: SlimContainer): boolean {
  const terminated = container.terminated;
  return terminated !== undefined && (terminated.exitCode !== 0 || terminated.reason === 'OOMKilled');
}

function terminationFailure(container: SlimContainer): PodFailure {
  const terminated = container.terminated!;
  const detail = terminated.message ? `: ${terminated.message}` : '';
  return {
    reason: terminated.reason,
    message: `${kind(container)} "${container.name}" terminated with ${terminated.reason} (exit code ${terminated.exitCode})${detail}`,
    exitCode: terminated.exitCode,
    container: container.name,
  };
}

function waitingFailure(container: SlimContainer): PodFailure {
  const waiting = container.waiting!;
  const detail = waiting.message ? `: ${waiting.message}` : '';
  return {
    reason: waiting.reason,
    message: `${kind(container)} "${container.name}" is waiting with ${waiting.reason}${detail}`,
    exitCode: undefined,
    container: undefined,
  };
}

/**
 * The most telling reason a pod failed, by precedence: the pod's own reason (Evicted…), then a
 * failing init container (it stops the main one from ever running), then a failing main
 * container, then the last waiting reason. Undefined when nothing in the pod looks wrong.
 */
export function podFailure(pod: SlimPod): PodFailure | undefined {
  if (pod.reason) {
    return {
      reason: pod.reason,
      message: `pod ${pod.name}: ${pod.reason}${pod.message ? `: ${pod.message}` : ''}`,
      exitCode: undefined,
      container: undefined,
    };
  }
  const init = pod.containers.find((container) => container.init && failedTermination(container));
  if (init) return terminationFailure(init);
  const main = pod.containers.find((container) => !container.init && failedTermination(container));
  if (main) return terminationFailure(main);
  const waiting = pod.containers.findLast(
    (container) => container.waiting !== undefined && !BENIGN_WAITING_REASONS.has(container.waiting.reason),
  );
  return waiting ? waitingFailure(waiting) : undefined;
}

/** A container of the pod (init or main) waiting for a reason that will not resolve itself. */
export function fatalWaiting(pod: SlimPod): PodFailure | undefined {
  const container = pod.containers.find(
    (candidate) => candidate.waiting !== undefined && FATAL_WAITING_REASONS.has(candidate.waiting.reason),
  );
  return container ? waitingFailure(container) : undefined;
}
