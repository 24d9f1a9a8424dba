import { parseDuration } from './duration.ts';

/** The annotations documented in docs/design.md ("Simulated pod behaviour"); kwok stages read the same. */
export const BEHAVIOR_ANNOTATIONS = {
  duration: 'sim.kubedispatch.io/duration',
  exitCode: 'sim.kubedispatch.io/exit-code',
  behavior: 'sim.kubedispatch.io/behavior',
  failuresBeforeSuccess: 'sim.kubedispatch.io/failures-before-success',
  logs: 'sim.kubedispatch.io/logs',
} as const;

export type BehaviorKind =
  | 'succeed'
  | 'fail'
  | 'oom-killed'
  | 'image-pull-backoff'
  | 'create-container-config-error'
  | 'unschedulable';

const KINDS: readonly BehaviorKind[] = [
  'succeed',
  'fail',
  'oom-killed',
  'image-pull-backoff',
  'create-container-config-error',
  'unschedulable',
];

export interface PodBehavior {
  kind: BehaviorKind;
  durationMs: number;
  exitCode: number;
  logLines: string[];
}

function integerOr(text: string | undefined, fallback: number): number {
  if (text === undefined || !/^\s*-?\d+\s*$/.test(text)) return fallback;
  return Number(text);
}

/**
 * What a pod will do, from its annotations. `ordinal` is the pod's position among its Job's pods
 * (0 for the first), which `failures-before-success` counts against.
 */
export function podBehavior(
  annotations: Record<string, string> | undefined,
  ordinal: number,
  defaultDurationMs: number,
  podName: string,
): PodBehavior {
  const read = (key: string): string | undefined => annotations?.[key];
  const declaredExit = integerOr(read(BEHAVIOR_ANNOTATIONS.exitCode), 0);
  const declaredKind = read(BEHAVIOR_ANNOTATIONS.behavior) as BehaviorKind | undefined;
  const failuresBeforeSuccess = integerOr(read(BEHAVIOR_ANNOTATIONS.failuresBeforeSuccess), 0);
  // With failures-before-success the exit code describes the failures, so later pods succeed by default.
  const defaultKind: BehaviorKind = declaredExit !== 0 && failuresBeforeSuccess === 0 ? 'fail' : 'succeed';
  let kind: BehaviorKind = declaredKind && KINDS.includes(declaredKind) ? declaredKind : defaultKind;
  if (ordinal < failuresBeforeSuccess) kind = 'fail';
  const exitCode =
    kind === 'oom-killed' ? 137 : kind === 'fail' ? declaredExit || 1 : kind === 'succeed' ? 0 : declaredExit;
  const logs = read(BEHAVIOR_ANNOTATIONS.logs);
  return {
    kind,
    durationMs: parseDuration(read(BEHAVIOR_ANNOTATIONS.duration) ?? '') ?? defaultDurationMs,
    exitCode,
    logLines: logs === undefined ? [`pod ${podName} ran`] : logs.split('\n'),
  };
}
